"""What installs the headless polling service (`meterstation poll`): the systemd unit on Linux and
the start-at-boot scheduled task on Windows, as text and command lines (no side effects here;
ui/cli/cmd_service.py writes and runs them).

The service is given its database URL and config folder explicitly, because it runs as another
user (or as SYSTEM) whose own data and config folders are not the station's. It acts as the
station's service identity: `--operator NAME poll --password-file FILE`, FILE being the 0600
secret `meterstation service identity` (or `service install`) wrote into the config folder; the
secret is never in the unit or the task.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

UNIT_NAME = "meterstation-poll.service"
TASK_NAME = r"MeterStation\Polling"
UNIT_DIR = Path("/etc/systemd/system")


@dataclass(frozen=True)
class ServicePlan:
    program: list[str]          # how to start this program: [exe] frozen, [python, -m, app] otherwise
    db_url: str
    config_dir: str
    user: str
    identity: str = "service"           # the service identity it logs in as (access/service_identity.py)
    secret_file: str = ""               # its secret (0600, the config folder); "" = config_dir/service.secret

    @property
    def poll_args(self) -> list[str]:
        secret = self.secret_file or str(Path(self.config_dir) / "service.secret")
        return [*self.program, "--db", self.db_url, "--operator", self.identity, "poll",
                "--password-file", secret]


def this_program() -> list[str]:
    """The command that runs this same program: the frozen executable (the console one on
    Windows), the venv's `meterstation` script, else `python -m app`."""
    exe = Path(sys.executable)
    if getattr(sys, "frozen", False):
        cli = exe.with_name("meterstation-cli.exe")
        return [str(cli if sys.platform == "win32" and cli.exists() else exe)]
    script = exe.with_name("meterstation.exe" if sys.platform == "win32" else "meterstation")
    if script.exists():
        return [str(script)]
    return [str(exe), "-m", "app"]


def absolute_url(url: str) -> str:
    """sqlite:///relative.db -> sqlite:////abs/relative.db (the service runs in another folder)."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != "sqlite:///:memory:":
        path = Path(url.removeprefix(prefix))
        if not path.is_absolute():
            return prefix + str(path.resolve())
    return url


def url_has_password(url: str) -> bool:
    import sqlalchemy as sa

    try:
        return bool(sa.engine.make_url(url).password)
    except Exception:  # noqa: BLE001 - not parseable: treat as secret
        return True


# --- Linux: systemd ---------------------------------------------------------------------------
def _systemd_word(arg: str) -> str:
    """One ExecStart argument: specifiers (%) and variables ($) escaped, quoted when needed."""
    arg = arg.replace("%", "%%").replace("$", "$$")
    if any(c in arg for c in ' \t"\'\\;') or not arg:
        arg = '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return arg


def _env_value(value: str) -> str:
    return '"' + value.replace("%", "%%").replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_unit(plan: ServicePlan, description: str) -> str:
    exec_start = " ".join(_systemd_word(a) for a in plan.poll_args)
    return "\n".join([
        "# Written by `meterstation service install`; remove with `meterstation service uninstall`.",
        "[Unit]",
        f"Description={description}",
        "Wants=network-online.target",
        "After=network-online.target postgresql.service",
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "Type=simple",
        f"User={plan.user}",
        f"Environment=METERSTATION_CONFIG_DIR={_env_value(plan.config_dir)}",
        "Environment=QT_QPA_PLATFORM=offscreen",
        f"ExecStart={exec_start}",
        "Restart=on-failure",
        "RestartSec=10",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=60",
        "StandardOutput=journal",
        "StandardError=journal",
        "SyslogIdentifier=meterstation-poll",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


def systemctl_install() -> list[list[str]]:
    return [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", UNIT_NAME]]


def systemctl_uninstall() -> list[list[str]]:
    return [["systemctl", "disable", "--now", UNIT_NAME]]


def systemctl_state() -> dict[str, str]:
    """is-enabled / is-active of the unit, or 'unknown' where systemctl cannot tell."""
    out = {}
    for what in ("is-enabled", "is-active"):
        try:
            r = subprocess.run(["systemctl", what, UNIT_NAME], capture_output=True, text=True, timeout=10)
            out[what] = r.stdout.strip() or "unknown"
        except (OSError, subprocess.SubprocessError):
            out[what] = "unknown"
    return out


# --- Windows: a scheduled task started at boot ------------------------------------------------
def windows_quote(args: list[str]) -> str:
    return subprocess.list2cmdline(args)


def task_xml(plan: ServicePlan, description: str) -> str:
    """Task Scheduler XML: at boot, no time limit (schtasks' default stops a task after 72 hours),
    restarted every minute after a failure, one instance."""
    system = plan.user.upper() in ("SYSTEM", "NT AUTHORITY\\SYSTEM")
    principal = ("<UserId>S-1-5-18</UserId><RunLevel>HighestAvailable</RunLevel>" if system else
                 f"<UserId>{escape(plan.user)}</UserId><LogonType>S4U</LogonType>"
                 "<RunLevel>HighestAvailable</RunLevel>")
    exe, *rest = plan.poll_args
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo><Description>{escape(description)}</Description></RegistrationInfo>
  <Triggers><BootTrigger><Enabled>true</Enabled><Delay>PT30S</Delay></BootTrigger></Triggers>
  <Principals><Principal id="Author">{principal}</Principal></Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <RestartOnFailure><Interval>PT1M</Interval><Count>999</Count></RestartOnFailure>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="Author">
    <Exec><Command>{escape(exe)}</Command><Arguments>{escape(windows_quote(rest))}</Arguments></Exec>
  </Actions>
</Task>
"""


def schtasks_install(xml_file: str) -> list[str]:
    return ["schtasks", "/Create", "/TN", TASK_NAME, "/XML", xml_file, "/F"]


def schtasks_run() -> list[str]:
    return ["schtasks", "/Run", "/TN", TASK_NAME]


def schtasks_uninstall() -> list[list[str]]:
    return [["schtasks", "/End", "/TN", TASK_NAME], ["schtasks", "/Delete", "/TN", TASK_NAME, "/F"]]


def schtasks_query() -> list[str]:
    return ["schtasks", "/Query", "/TN", TASK_NAME, "/FO", "LIST"]


def default_user() -> str:
    if sys.platform == "win32":
        return os.environ.get("USERNAME") or "SYSTEM"
    import getpass

    if os.geteuid() == 0 and os.environ.get("SUDO_USER"):      # `sudo meterstation service install`
        return os.environ["SUDO_USER"]
    return getpass.getuser()
