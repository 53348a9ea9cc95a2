; Inno Setup script for the Windows installer (Inno Setup 6).
; 1. Build the frozen program on Windows (Git Bash):  PYTHON=.venv/Scripts/python bash installer/build.sh
;    -> dist\meterstation\meterstation.exe (the windows, no console) and meterstation-cli.exe (commands)
; 2. Compile this file:  ISCC installer\meterstation.iss  -> dist\MeterStation-0.1.0-setup.exe
;
; The program is installed into Program Files; the station's data (database, settings, receipts,
; backups, logs) lives in the user's %LOCALAPPDATA%\MeterStation, which the program creates on first
; start. The uninstaller removes the program and the polling service task, never that folder: the
; database is kept.
#define AppName "MeterStation 电能计量收费站"
#define AppVersion "0.1.0"

[Setup]
AppId={{6F0B6E0C-4B57-4F55-9A61-2B7C2B0E5D11}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=MeterStation
DefaultDirName={autopf}\MeterStation
DefaultGroupName=MeterStation
OutputDir=..\dist
OutputBaseFilename=MeterStation-{#AppVersion}-setup
UninstallDisplayIcon={app}\meterstation.exe
Compression=lzma2/max
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; admin: Program Files, and the polling service's start-at-boot task
PrivilegesRequired=admin
; the data folder is the user's own, in %LOCALAPPDATA%; Setup never writes there
UsedUserAreasWarning=no

[Languages]
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
chinesesimplified.ServiceTask=安装集中抄表服务（开机自动抄表，计划任务）
english.ServiceTask=Install the polling service (reads the meters from boot, a scheduled task)
chinesesimplified.DemoIcon=MeterStation 演示
english.DemoIcon=MeterStation demo
chinesesimplified.CliIcon=MeterStation 命令行
english.CliIcon=MeterStation command line
chinesesimplified.DataIcon=MeterStation 数据文件夹
english.DataIcon=MeterStation data folder

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"
Name: "service"; Description: "{cm:ServiceTask}"; Flags: unchecked

[Files]
; both executables and the shared _internal folder of the one-folder build
Source: "..\dist\meterstation\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion createallsubdirs
Source: "..\README.md"; DestDir: "{app}"; Flags: ignoreversion

[Icons]
Name: "{group}\MeterStation"; Filename: "{app}\meterstation.exe"
Name: "{group}\MeterStation (English)"; Filename: "{app}\meterstation.exe"; Parameters: "--lang en"
Name: "{group}\{cm:DemoIcon}"; Filename: "{app}\meterstation.exe"; Parameters: "--demo"
; a console in the program folder for `meterstation-cli --help`, backups, the service status
Name: "{group}\{cm:CliIcon}"; Filename: "{cmd}"; Parameters: "/k ""{app}\meterstation-cli.exe"" --help"; WorkingDir: "{app}"
Name: "{group}\{cm:DataIcon}"; Filename: "{localappdata}\MeterStation"; Flags: foldershortcut
Name: "{group}\{cm:UninstallProgram,MeterStation}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\MeterStation"; Filename: "{app}\meterstation.exe"; Tasks: desktopicon

[Run]
; the polling service: a start-at-boot task running `meterstation-cli.exe poll` as the installing
; user on that user's database (meterstation-cli service install; see README.md, "Install at a site")
Filename: "{app}\meterstation-cli.exe"; Parameters: "service install"; Tasks: service; Flags: runhidden waituntilterminated; StatusMsg: "{cm:ServiceTask}"
Filename: "{app}\meterstation.exe"; Description: "{cm:LaunchProgram,MeterStation}"; Flags: nowait postinstall skipifsilent

[UninstallRun]
; stop and remove the polling task when there is one (nothing happens otherwise); the database stays
Filename: "{app}\meterstation-cli.exe"; Parameters: "service uninstall"; Flags: runhidden waituntilterminated; RunOnceId: "RemovePollingService"

[UninstallDelete]
; only what the program leaves in its own folder; %LOCALAPPDATA%\MeterStation is never touched
Type: filesandordirs; Name: "{app}\_internal"
