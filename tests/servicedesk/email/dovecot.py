"""A real IMAP server for the tests: Debian's dovecot, run in the foreground with its own config
in a temporary folder, on a free local port, with one passwd-file user and a Maildir."""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)


@dataclass
class Server:
    host: str
    port: int
    login: str
    password: str
    folder: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start():
    folder = Path(tempfile.mkdtemp(prefix="a24-dovecot-"))
    os.chmod(folder, 0o755)  # noqa: S103 - dovecot's own users must reach the Maildir
    port = _free_port()
    if os.geteuid() == 0:
        internal, login_user = "dovecot", "dovenull"
        mail = pwd.getpwnam("dovecot")
    else:
        internal = login_user = pwd.getpwuid(os.geteuid()).pw_name
        mail = pwd.getpwuid(os.geteuid())
    home = folder / "home" / "support"
    home.mkdir(parents=True)
    for path in (folder / "home", home):
        os.chown(path, mail.pw_uid, mail.pw_gid)
    (folder / "passwd").write_text("support:{PLAIN}secret\n")
    (folder / "dovecot.conf").write_text(
        f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login_user}
first_valid_uid = 0
mail_location = maildir:~/Maildir:LAYOUT=fs
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={mail.pw_uid} gid={mail.pw_gid} home={folder}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(folder / "dovecot.conf")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (folder / "dovecot.log").read_text() if (folder / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot stopped: {process.stdout.read().decode()} {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    return process, Server("127.0.0.1", port, "support", "secret", folder)


def stop(process, server: Server) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    shutil.rmtree(server.folder, ignore_errors=True)
