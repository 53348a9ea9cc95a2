; Inno Setup script for the Windows installer. Build the PyInstaller folder first
; (pyinstaller --noconfirm installer/meterstation.spec), then compile this file with ISCC.
#define AppName "MeterStation 电能计量收费站"
#define AppVersion "0.1.0"

[Setup]
AppId={{6F0B6E0C-4B57-4F55-9A61-2B7C2B0E5D11}
AppName={#AppName}
AppVersion={#AppVersion}
DefaultDirName={autopf}\MeterStation
DefaultGroupName=MeterStation
OutputBaseFilename=MeterStation-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequired=admin

[Languages]
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[Files]
Source: "..\dist\meterstation\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\MeterStation"; Filename: "{app}\meterstation.exe"
Name: "{group}\MeterStation (English)"; Filename: "{app}\meterstation.exe"; Parameters: "--lang en"
Name: "{group}\MeterStation 演示"; Filename: "{app}\meterstation.exe"; Parameters: "--demo"
Name: "{commondesktop}\MeterStation"; Filename: "{app}\meterstation.exe"

[Run]
Filename: "{app}\meterstation.exe"; Description: "Start MeterStation"; Flags: nowait postinstall skipifsilent
