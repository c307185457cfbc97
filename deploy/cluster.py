"""A local cluster of the production layout, on this machine's loopback, from Debian's packages.

    python deploy/cluster.py            (make cluster) runs until Ctrl-C, printing its URLs

nginx (deploy/nginx/'s snippets, plain HTTP: TLS needs certificates) in front of two
gunicorn instances (deploy/gunicorn.conf.py), a Redis server for the page cache, a
PostgreSQL primary and a streaming replica made from it with pg_basebackup -R. Every part
listens on a free port of 127.0.0.1 and runs as the user it runs as in production when
started as root (postgres, redis, nobody for the app, www-data for nginx's workers), as
the current user otherwise. Everything lives in one temporary directory, removed when
the cluster stops.

`Cluster` is a context manager: leaving it stops every part, whatever happened, and so
does the end of the process (atexit) and SIGTERM or SIGINT. The tests (tests/test_cluster.py)
and the benchmark (bench/cluster.py) drive it, and stop parts of it on purpose.
"""

import atexit
import contextlib
import functools
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
AS_ROOT = os.geteuid() == 0
# The users each part runs as when started as root; as anyone else, everything runs as them.
USERS = {"postgres": "postgres", "redis": "redis", "app": "nobody", "nginx": "www-data"}
ADMIN = "admin"


class ClusterError(RuntimeError):
    pass


def missing_parts():
    """What this machine lacks to start a cluster, each with the Debian package to install."""
    missing = []
    if not postgres_bindir():
        missing.append("PostgreSQL server binaries (apt-get install postgresql)")
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        missing.append("nginx (apt-get install nginx)")
    if not shutil.which("redis-server"):
        missing.append("redis-server (apt-get install redis-server)")
    if not (BIN / "gunicorn").exists():
        missing.append(f"gunicorn in {BIN} (make install)")
    if AS_ROOT:
        for part, user in USERS.items():
            if part == "redis" and not user_exists(user):
                continue  # nobody runs it then
            if not user_exists(user):
                missing.append(f"the system user {user!r}, to run {part} as")
    return missing


def user_exists(name):
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def run_as(part):
    """The user a part runs as: None for the current user."""
    if not AS_ROOT:
        return None
    user = USERS[part]
    if part == "redis" and not user_exists(user):
        return "nobody"
    if part == "app" and not app_user_can_run():
        return None
    return user


@functools.cache
def app_user_can_run():
    """Whether the app's user can run this virtualenv's Python on this checkout: either
    under root's home (a pyenv build, a clone in /root) is out of its reach, and the app
    then runs as the current user."""
    try:
        subprocess.run(
            [PYTHON, "-c", "import django, config.settings"],
            cwd=ROOT,
            user=USERS["app"],
            check=True,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        print(
            f"cluster: {USERS['app']} cannot run {PYTHON} on {ROOT}; the app servers run as root",
            file=sys.stderr,
        )
        return False
    return True


def postgres_bindir():
    has_server = ("postgres", "initdb", "pg_ctl", "pg_basebackup")
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    if os.environ.get("PG_BINDIR"):
        candidates = [Path(os.environ["PG_BINDIR"])]
    for directory in reversed(candidates):
        if all((directory / name).exists() for name in has_server):
            return directory
    return None


def nginx_binary():
    return shutil.which("nginx") or "/usr/sbin/nginx"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, check, timeout=60, process=None):
    """Call check() until it is true; fail after timeout seconds or when process ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            # Ready, and ours: not another program's server on a port taken meanwhile.
            if process is not None and process.poll() is not None:
                raise ClusterError(f"{what}: the process ended with status {process.returncode}")
            return
        if process is not None and process.poll() is not None:
            raise ClusterError(f"{what}: the process ended with status {process.returncode}")
        time.sleep(0.2)
    raise ClusterError(f"{what}: not ready after {timeout} s")


def http_status(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def redis_answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class Cluster:
    """Start with `with Cluster() as cluster:`; see the module's docstring.

    app_servers: gunicorn instances (each with `workers` workers; the machine has 2 cores).
    fixtures: loaded into the primary after migrate. synthetic: that many generated visits
    (bench/synthetic, seed 1) added after them.
    """

    def __init__(self, app_servers=2, workers=1, fixtures=("baku_2023",), synthetic=0):
        self.app_servers = app_servers
        self.workers = workers
        self.fixtures = list(fixtures)
        self.synthetic = synthetic
        self.dir = None
        self.processes = {}  # name -> Popen, for the parts that run as children
        self.postgres = {}  # "primary"/"replica" -> data directory while it runs
        self.admin_password = secrets.token_urlsafe(16)
        self._stopped = True
        self._previous_handlers = {}

    # --- start -----------------------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        missing = missing_parts()
        if missing:
            raise ClusterError("missing: " + "; ".join(missing))
        self._stopped = False
        atexit.register(self.stop)
        self._stop_on_signals()
        self.dir = Path(tempfile.mkdtemp(prefix="registry-cluster."))
        # Every part's user reads its own folder below this one.
        self.dir.chmod(0o755)
        (self.dir / "logs").mkdir()
        try:
            self._start_primary()
            self._start_replica()
            self._start_redis()
            self.env = self._app_env()
            self._prepare_database()
            self.app_ports = [free_port() for _ in range(self.app_servers)]
            for index in range(self.app_servers):
                self.start_app(index)
            self._start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def _stop_on_signals(self):
        # SIGTERM would end the process without atexit; turn it into an exit that runs it.
        def leave(signum, frame):
            raise SystemExit(128 + signum)

        for signum in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(ValueError):  # not the main thread: the caller's job
                if signal.getsignal(signum) in (signal.SIG_DFL, None):
                    self._previous_handlers[signum] = signal.signal(signum, leave)

    def _chown(self, path, part):
        user = run_as(part)
        if user:
            shutil.chown(path, user, pwd.getpwnam(user).pw_gid)

    def _run(self, command, part=None, check=True, **kwargs):
        """Run a command as the part's user, in the cluster's folder (which it may enter)."""
        kwargs.setdefault("cwd", self.dir)
        user = run_as(part) if part else None
        return subprocess.run(command, user=user, check=check, **kwargs)

    def _log(self, name):
        return open(self.dir / "logs" / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)

    # PostgreSQL: initdb as postgres, a replication role and its hba line, then a replica.
    def _start_primary(self):
        bindir = postgres_bindir()
        pg = self.dir / "pg"
        pg.mkdir()
        self._chown(pg, "postgres")
        self._run(["mkdir", "-m", "755", str(pg / "socket")], part="postgres")
        self._run(
            [
                str(bindir / "initdb"),
                f"--pgdata={pg / 'primary'}",
                "--username=postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            part="postgres",
            stdout=subprocess.DEVNULL,
        )
        self.database_password = secrets.token_urlsafe(16)
        self.replication_password = secrets.token_urlsafe(16)
        conf = pg / "primary" / "postgresql.conf"
        settings = f"""
# deploy/cluster.py: a throw-away primary that one replica streams from.
listen_addresses = '127.0.0.1'
unix_socket_directories = '{pg / "socket"}'
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
synchronous_commit = off
"""
        self._append(conf, settings)
        self._append(
            pg / "primary" / "pg_hba.conf",
            "\n# The replica's base backup and WAL stream.\n"
            "host replication replicator 127.0.0.1/32 scram-sha-256\n",
        )
        self.primary_port = self._pg_start("primary")
        with self.superuser("primary", dbname="postgres") as conn:
            conn.execute(f"CREATE ROLE registry LOGIN PASSWORD '{self.database_password}'")
            conn.execute("CREATE DATABASE registry OWNER registry")
            conn.execute(
                f"CREATE ROLE replicator REPLICATION LOGIN PASSWORD '{self.replication_password}'"
            )
        self.primary_url = self._url(self.primary_port)

    def _append(self, path, text):
        self._run(
            ["tee", "-a", str(path)],
            part="postgres",
            input=text.encode(),
            stdout=subprocess.DEVNULL,
        )

    def _url(self, port):
        return f"postgres://registry:{self.database_password}@127.0.0.1:{port}/registry"

    def _pg_start(self, name):
        bindir = postgres_bindir()
        data = self.dir / "pg" / name
        for _attempt in range(3):
            port = free_port()
            started = self._run(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(self.dir / "pg" / f"{name}.log"),
                    "-w",
                    "-t",
                    "120",
                    "-o",
                    f"-p {port}",
                    "start",
                ],
                part="postgres",
                check=False,
                stdout=subprocess.DEVNULL,
            )
            if started.returncode == 0:
                self.postgres[name] = data
                return port
        raise ClusterError(f"PostgreSQL {name} did not start: see {self.dir}/pg/{name}.log")

    def _start_replica(self):
        self._run(
            [
                str(postgres_bindir() / "pg_basebackup"),
                "--host=127.0.0.1",
                f"--port={self.primary_port}",
                "--username=replicator",
                f"--pgdata={self.dir / 'pg' / 'replica'}",
                "--write-recovery-conf",
                "--wal-method=stream",
                "--checkpoint=fast",
                "--no-sync",
            ],
            part="postgres",
            env={**os.environ, "PGPASSWORD": self.replication_password},
        )
        self.replica_port = self._pg_start("replica")
        self.replica_url = self._url(self.replica_port)

    def superuser(self, name, dbname="registry"):
        """A psycopg connection as postgres (over the socket) to the primary or the replica."""
        import psycopg

        port = self.primary_port if name == "primary" else self.replica_port
        return psycopg.connect(
            host=str(self.dir / "pg" / "socket"),
            port=port,
            user="postgres",
            dbname=dbname,
            autocommit=True,
        )

    def _pg_stop(self, name, mode="fast"):
        data = self.postgres.pop(name, None)
        if data is None:
            return
        pid_file = data / "postmaster.pid"
        pid = int(pid_file.read_text().split()[0]) if pid_file.exists() else None
        stopped = self._run(
            [
                str(postgres_bindir() / "pg_ctl"),
                "-D",
                str(data),
                "-m",
                mode,
                "-w",
                "-t",
                "60",
                "stop",
            ],
            part="postgres",
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if stopped.returncode != 0 and pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        # pg_ctl detached the server: wait until it is really gone.
        if pid:
            wait_until(f"PostgreSQL {name} to end", lambda: not Path(f"/proc/{pid}").exists(), 60)

    def stop_replica(self):
        self._pg_stop("replica")

    # Redis: no persistence, loopback only.
    def _start_redis(self):
        folder = self.dir / "redis"
        folder.mkdir()
        self._chown(folder, "redis")
        for attempt in range(3):
            self.redis_port = free_port()
            process = subprocess.Popen(
                [
                    shutil.which("redis-server"),
                    "--port",
                    str(self.redis_port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(folder),
                    "--daemonize",
                    "no",
                ],
                cwd=folder,
                user=run_as("redis"),
                start_new_session=True,
                stdout=self._log("redis"),
                stderr=subprocess.STDOUT,
            )
            self.processes["redis"] = process
            try:
                wait_until("redis-server", lambda: redis_answers(self.redis_port), 30, process)
                break
            except ClusterError:
                self._end("redis")
                if attempt == 2:
                    raise
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"

    def stop_redis(self):
        self._end("redis")

    # The app: production settings, as a server behind nginx reads them.
    def _app_env(self):
        static = self.dir / "static"
        static.mkdir()
        kept = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATABASE_", "DJANGO_", "PG", "CACHE_", "GUNICORN_"))
        }
        return {
            **kept,
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.primary_url,
            "DATABASE_REPLICA_URLS": self.replica_url,
            "DATABASE_CONN_MAX_AGE": "60",
            "CACHE_URL": self.redis_url,
            "DJANGO_STATIC_ROOT": str(static),
            # nginx sets X-Forwarded-Proto and appends one address to X-Forwarded-For
            # (deploy/nginx/registry-proxy.conf). The local cluster speaks plain HTTP, so
            # no redirect to HTTPS; a real site keeps it on.
            "DJANGO_SECURE_PROXY_SSL_HEADER": "true",
            "DJANGO_TRUSTED_PROXY_COUNT": "1",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_LOG_LEVEL": "WARNING",
        }

    def manage(self, *args, debug=False, env_extra=None, **kwargs):
        """manage.py against the primary, with the app servers' settings."""
        env = {**self.env, **({"DJANGO_DEBUG": "true"} if debug else {}), **(env_extra or {})}
        kwargs.setdefault("check", True)
        return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, **kwargs)

    def _prepare_database(self):
        quiet = {"stdout": subprocess.DEVNULL}
        self.manage("collectstatic", "--noinput", "-v0", **quiet)
        self.manage("migrate", "--noinput", "-v0", **quiet)
        if self.fixtures:
            self.manage("loaddata", *self.fixtures, "-v0", **quiet)
        if self.synthetic:
            # A development tool, installed only with DEBUG on (config/settings.py).
            self.manage(
                "generate_records",
                *("--delegations", str(self.synthetic), "--seed", "1", "--quiet"),
                *(["--append"] if self.fixtures else []),
                debug=True,
                **quiet,
            )
        # The superuser an operator would create by hand: `manage.py createsuperuser`.
        self.manage(
            "createsuperuser",
            "--noinput",
            f"--username={ADMIN}",
            "--email=admin@example.org",
            env_extra={"DJANGO_SUPERUSER_PASSWORD": self.admin_password},
            **quiet,
        )

    def app_url(self, index):
        return f"http://127.0.0.1:{self.app_ports[index]}"

    def start_app(self, index):
        """gunicorn with deploy/gunicorn.conf.py, as production runs it, once it is healthy.
        A port taken since it was picked (another program's) is replaced before nginx
        starts; afterwards nginx names it, so the same port is used again."""
        name = f"app{index}"
        for attempt in range(3):
            env = {
                **self.env,
                "GUNICORN_BIND": f"127.0.0.1:{self.app_ports[index]}",
                "GUNICORN_WORKERS": str(self.workers),
            }
            process = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "--config",
                    str(DEPLOY / "gunicorn.conf.py"),
                    "config.wsgi",
                ],
                cwd=ROOT,
                env=env,
                user=run_as("app"),
                start_new_session=True,
                stdout=self._log(name),
                stderr=subprocess.STDOUT,
            )
            self.processes[name] = process
            url = self.app_url(index) + "/healthz"
            try:
                wait_until(
                    f"gunicorn {name}", lambda url=url: http_status(url) == 200, 120, process
                )
                return
            except ClusterError:
                self._end(name)
                if attempt == 2 or "nginx" in self.processes:
                    raise
                self.app_ports[index] = free_port()

    def stop_app(self, index, hard=False):
        """Stop one gunicorn: gracefully (SIGTERM), or as a crash would (SIGKILL)."""
        self._end(f"app{index}", signal.SIGKILL if hard else signal.SIGTERM)

    # nginx: the production site's proxy and static snippets, plain HTTP on loopback.
    def _start_nginx(self):
        folder = self.dir / "nginx"
        for sub in ("", "body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / sub).mkdir(exist_ok=True)
            self._chown(folder / sub, "nginx")
        for attempt in range(3):
            self.nginx_port = free_port()
            self.url = f"http://127.0.0.1:{self.nginx_port}"
            self.set_upstreams(range(self.app_servers), reload=False)
            process = subprocess.Popen(
                [*self._nginx_command(), "-c", str(folder / "nginx.conf")],
                cwd=folder,
                start_new_session=True,
                stdout=self._log("nginx"),
                stderr=subprocess.STDOUT,
            )
            self.processes["nginx"] = process
            try:
                wait_until("nginx", lambda: http_status(self.url + "/healthz") == 200, 30, process)
                return
            except ClusterError:
                self._end("nginx")
                if attempt == 2:
                    raise

    def _nginx_command(self):
        # -p: relative paths under the cluster's folder; -e: its own error log from the
        # start, before the configuration is read (nginx's default is under /var/log).
        folder = self.dir / "nginx"
        return [nginx_binary(), "-p", str(folder), "-e", str(folder / "error.log")]

    def set_upstreams(self, indices, reload=True):
        """Which app servers nginx sends requests to; reloads nginx gracefully."""
        folder = self.dir / "nginx"
        (folder / "nginx.conf").write_text(self._nginx_conf(folder, list(indices)))
        if reload:
            process = self.processes["nginx"]
            test = subprocess.run(
                [*self._nginx_command(), "-t", "-q", "-c", str(folder / "nginx.conf")],
                capture_output=True,
                text=True,
            )
            if test.returncode:
                raise ClusterError(f"nginx refused its configuration: {test.stderr}")
            before = self._nginx_workers()
            process.send_signal(signal.SIGHUP)
            # The reload is done when none of the old workers is left.
            wait_until("nginx reload", lambda: not (before & self._nginx_workers()), 60, process)

    def _nginx_workers(self):
        master = self.processes["nginx"].pid
        children = Path(f"/proc/{master}/task/{master}/children")
        return set(children.read_text().split()) if children.exists() else set()

    def _nginx_conf(self, folder, indices):
        servers = "\n".join(
            f"        server 127.0.0.1:{self.app_ports[i]} max_fails=1 fail_timeout=10s;"
            for i in indices
        )
        user = f"user {USERS['nginx']};" if AS_ROOT else ""
        static = Path(self.env["DJANGO_STATIC_ROOT"])
        return f"""# deploy/cluster.py: deploy/nginx/registry.conf for loopback, without TLS.
{user}
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    client_max_body_size 10m;

    upstream registry_app {{
{servers}
    }}

    server {{
        listen 127.0.0.1:{self.nginx_port};
        server_name 127.0.0.1;
        # Test variant only: which app server answered.
        add_header X-Upstream $upstream_addr always;

        location /static/ {{
            alias {static}/;
            include {DEPLOY}/nginx/registry-static.conf;
            add_header X-Upstream nginx always;
        }}
        location ~ "^/static/(.+\\.[0-9a-f]{{12}}\\.[A-Za-z0-9]+)$" {{
            alias {static}/$1;
            include {DEPLOY}/nginx/registry-static.conf;
            include {DEPLOY}/nginx/registry-immutable.conf;
            add_header X-Upstream nginx always;
        }}
        location = /healthz {{
            include {DEPLOY}/nginx/registry-proxy.conf;
        }}
        location / {{
            include {DEPLOY}/nginx/registry-proxy.conf;
        }}
    }}
}}
"""

    # --- stop ------------------------------------------------------------------------

    def _end(self, name, sig=signal.SIGTERM, timeout=30):
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
        # A worker outliving its master (after SIGKILL) would keep the port.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def stop(self):
        """Stop every part still running and remove the folder; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        problems = []
        for name in ["nginx", *(n for n in list(self.processes) if n.startswith("app")), "redis"]:
            try:
                self._end(name, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
            except Exception as error:  # noqa: BLE001 (stop the rest all the same)
                problems.append(f"{name}: {error}")
        for name in ("replica", "primary"):
            try:
                self._pg_stop(name)
            except Exception as error:  # noqa: BLE001
                problems.append(f"PostgreSQL {name}: {error}")
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        for signum, handler in self._previous_handlers.items():
            with contextlib.suppress(ValueError):
                signal.signal(signum, handler)
        self._previous_handlers = {}
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)
        if problems:
            print("cluster: " + "; ".join(problems), file=sys.stderr)


def main():
    print("Starting the cluster (PostgreSQL primary and replica, Redis, 2 × gunicorn, nginx)...")
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with Cluster() as cluster:
        print(
            f"""
Site through nginx:  {cluster.url}/   (admin: {cluster.url}/admin/, user {ADMIN},
                     password {cluster.admin_password})
App servers:         {", ".join(cluster.app_url(i) for i in range(cluster.app_servers))}
PostgreSQL primary:  {cluster.primary_url}
PostgreSQL replica:  {cluster.replica_url}
Redis:               {cluster.redis_url}
Logs:                {cluster.dir}/logs, {cluster.dir}/pg, {cluster.dir}/nginx
Ctrl-C stops everything.""",
            flush=True,
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nStopping the cluster.")


if __name__ == "__main__":
    main()
