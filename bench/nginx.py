"""nginx in front of the replicas: the shared template rendered for loopback, run unprivileged.

``deploy/nginx/xiaoer.conf.template`` is the one routing configuration (sticky
sockets, any-replica REST, cookie-sticky console); docker compose ships it rendered
with service names (``deploy/compose/nginx.conf``), the local topology renders it
with loopback ports and wraps it in a main configuration whose files all live in a
scratch directory, so no root and no system nginx service are involved.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Sequence

from bot.processes import Service
from bot.settings import ROOT

TEMPLATE = ROOT / "deploy" / "nginx" / "xiaoer.conf.template"


def render(rasa: Sequence[str], consoles: Sequence[str], listen: str) -> str:
    """The template with its upstream servers (``host:port``) and listen address filled in."""
    def servers(addresses: Sequence[str]) -> str:
        return "\n".join(f"    server {address} max_fails=1 fail_timeout=5s;" for address in addresses)

    return (TEMPLATE.read_text().replace("{{rasa_servers}}", servers(rasa))
            .replace("{{console_servers}}", servers(consoles)).replace("{{listen}}", listen))


def main_config(prefix: Path, site: Path) -> str:
    """A whole nginx.conf for an unprivileged nginx whose pid, logs and temp files stay in ``prefix``."""
    temp = "\n".join(f"    {kind}_temp_path {prefix / ('tmp-' + kind)};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""worker_processes 1;
pid {prefix / 'nginx.pid'};
error_log {prefix / 'error.log'} warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
{temp}
    include {site};
}}
"""


def executable() -> str:
    """Debian's nginx, installed on first use like the test command installs Chromium."""
    found = shutil.which("nginx") or (Path("/usr/sbin/nginx").exists() and "/usr/sbin/nginx")
    if found:
        return found
    for step in (["apt-get", "install", "-y", "-qq", "nginx-light"], ["apt-get", "update", "-qq"],
                 ["apt-get", "install", "-y", "-qq", "nginx-light"]):
        subprocess.run(step, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
        if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
            break
    found = shutil.which("nginx") or (Path("/usr/sbin/nginx").exists() and "/usr/sbin/nginx")
    if not found:
        raise RuntimeError("nginx is not installed and `apt-get install nginx-light` failed")
    return found


def service(prefix: Path, port: int, rasa: Sequence[str], consoles: Sequence[str]) -> Service:
    prefix.mkdir(parents=True, exist_ok=True)
    site = prefix / "xiaoer.conf"
    site.write_text(render(rasa, consoles, f"127.0.0.1:{port}"))
    conf = prefix / "nginx.conf"
    conf.write_text(main_config(prefix, site))
    return Service("nginx", [executable(), "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                   f"http://127.0.0.1:{port}/nginx-health")
