"""The processes and databases a chaos scenario drives: PostgreSQL through psql, the TOME
simulator, the job, card-app and the reservation helper, each with its output kept for the
log scan at the end of the scenario."""

import json
import os
import re
import signal
import subprocess
import time
import urllib.request

# The job's documented exit statuses: 0 done, 1 failed or partial (deadline, other), 3 lease held
# elsewhere or lost, 4 database, 5 TOME, 6 not ready (the README's exit codes).
EXPECTED_EXITS = {0, 1, 3, 4, 5, 6}


class Harness:
    def __init__(self, repo, bin_dir, work, database_url, rng):
        self.repo = repo
        self.bin = bin_dir
        self.work = work
        self.database_url = database_url
        self.rng = rng
        self.logs = []  # every output file of the current scenario
        self.crashes = []  # processes that died in a way nobody asked for
        self.simulator = None
        self.secrets = {}  # name -> value that must never appear in a log
        self.shared_logs = []  # outputs of processes that outlive a scenario, scanned from where it began
        self.offsets = {}
        self._counter = 0

    # --- files ------------------------------------------------------------------------
    def path(self, name):
        self._counter += 1
        return os.path.join(self.work, "%03d-%s" % (self._counter, name))

    def begin_scenario(self):
        self.logs = []
        self.crashes = []
        self.offsets = {path: os.path.getsize(path) for path in self.shared_logs if os.path.exists(path)}

    # --- PostgreSQL -------------------------------------------------------------------
    def psql(self, sql, check=True, timeout=60):
        result = subprocess.run(
            ["psql", self.database_url, "-v", "ON_ERROR_STOP=1", "-qAt", "-F", "\t", "-c", sql],
            capture_output=True, text=True, timeout=timeout,
            env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"),
        )
        if check and result.returncode != 0:
            raise RuntimeError("psql failed: %s\n%s" % (sql[:200], result.stderr.strip()))
        return result.stdout.strip()

    def scalar(self, sql):
        return int(self.psql(sql) or 0)

    def postgres(self, action):
        """`scripts/postgres start|stop` for this suite's own cluster (scripts/chaos exports its
        port and folder)."""
        subprocess.run([os.path.join(self.repo, "scripts", "postgres"), action],
                       check=True, capture_output=True, timeout=120)

    def reset_tables(self):
        self.psql("TRUNCATE card, token_assignment, token_pool, refill_batch, refill_run, refill_lease")

    def write_count(self):
        """Rows inserted, updated or deleted in the schema so far (flushed when a session ends)."""
        return self.scalar("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables")

    def fresh_pool(self, pairs, tag):
        """Empty tables, then `pairs` made-up pairs in the pool; returns how many."""
        self.reset_tables()
        self.fill_pool(pairs, tag)
        return pairs

    def fill_pool(self, pairs, tag):
        """Pairs made up in SQL, for scenarios about reserving rather than refilling."""
        self.psql(
            "INSERT INTO token_pool (ns1_token, ns2_token, run_id, batch_no) "
            "SELECT '%s1_' || g, '%s2_' || g, 'chaos', 0 FROM generate_series(1, %d) g" % (tag, tag, pairs))
        self.psql("VACUUM ANALYZE token_pool")

    def pair_accounting(self):
        """Pool, assignments, and pairs present in both tables or twice across them."""
        pool = self.scalar("SELECT count(*) FROM token_pool")
        assigned = self.scalar("SELECT count(*) FROM token_assignment")
        duplicates = self.scalar(
            "SELECT count(*) FROM token_pool p JOIN token_assignment a "
            "ON a.ns1_token = p.ns1_token OR a.ns2_token = p.ns2_token "
            "OR a.ns1_token = p.ns2_token OR a.ns2_token = p.ns1_token")
        return pool, assigned, duplicates

    def drain_to_assignments(self, pairs, tag, order="claim_key"):
        """What reservations do, in bulk: move pairs from the pool to the assignments."""
        self.psql(
            "WITH moved AS (DELETE FROM token_pool WHERE ns1_token IN "
            "(SELECT ns1_token FROM token_pool ORDER BY %s LIMIT %d) RETURNING *) "
            "INSERT INTO token_assignment (ns2_token, ns1_token, card_id, source, run_id, batch_no) "
            "SELECT ns2_token, ns1_token, '%s-' || ns1_token, 'pool', run_id, batch_no FROM moved" % (order, pairs, tag))

    # --- processes --------------------------------------------------------------------
    def env(self, **extra):
        env = {key: value for key, value in os.environ.items() if not key.startswith(("TOME_", "POOL_", "REFILL_", "CARD_", "AWS_LAMBDA"))}
        # Scenarios check refills against a fixed target; the sizing has its own tests.
        env.update(DATABASE_URL=self.database_url, LOG_LEVEL="debug", TOME_AUTH_TOKEN=self.secrets["tome token"], POOL_SIZING="static")
        if self.simulator:
            env["TOME_URL"] = self.simulator.url
        env.update({key: str(value) for key, value in extra.items()})
        return env

    def start(self, name, argv, env, stdin_text=None):
        out, err = self.path(name + ".out"), self.path(name + ".log")
        self.logs += [out, err]
        process = subprocess.Popen(
            argv, env=env, stdout=open(out, "w"), stderr=open(err, "w"),
            stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL, text=True)
        if stdin_text is not None:
            process.stdin.write(stdin_text)
            process.stdin.close()
        process.out_path, process.err_path, process.name, process.killed_by_us = out, err, name, False
        return process

    def kill(self, process, sig=signal.SIGKILL):
        process.killed_by_us = True
        try:
            process.send_signal(sig)
        except ProcessLookupError:
            pass

    def finish(self, process, timeout, expected=EXPECTED_EXITS):
        """Waits for a process; a hang, a signal nobody sent or an undocumented exit is a crash."""
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill(process)
            process.wait()
            self.crashes.append("%s did not exit within %ss" % (process.name, timeout))
            return None
        if process.killed_by_us:
            return code
        stderr = open(process.err_path, errors="replace").read()
        if code < 0 or code not in expected or "Fatal error" in stderr or "Stack dump" in stderr:
            self.crashes.append("%s exited %s: %s" % (process.name, code, stderr.strip()[-300:]))
        return code

    def job(self, name, args=(), stdin_text=None, **env):
        return self.start(name, [os.path.join(self.bin, "tome-prefetch"), *args], self.env(**env), stdin_text)

    def reserver(self, name, seconds, warmup, record=None):
        """`tome-bench reserve` with 16 concurrent reservers, optionally recording what it committed."""
        argv = [os.path.join(self.bin, "tome-bench"), "reserve", "--clients", "16", "--seconds", str(seconds),
                "--warmup", str(warmup)]
        return self.start(name, argv + (["--record", record] if record else []), self.env())

    def run_job(self, name, args=(), stdin_text=None, timeout=180, **env):
        """Runs the job to its end; returns (exit status, the JSON result lines)."""
        process = self.job(name, args, stdin_text, **env)
        code = self.finish(process, timeout)
        results = []
        for line in open(process.out_path):
            line = line.strip()
            if line.startswith("{"):
                results.append(json.loads(line))
        return code, results

    def refill_until_done(self, name, attempts=20, **env):
        """Runs `tome-prefetch refill` until it is not waiting for a lapsed lease; returns its summary."""
        for attempt in range(attempts):
            code, results = self.run_job("%s-%d" % (name, attempt), ["refill", "--json"], **env)
            if code == 3:
                self.wait_for_lease()
                continue
            return code, results[-1] if results else {}
        raise RuntimeError("%s: the lease never became free" % name)

    def wait_for_lease(self, limit=60):
        """Waits until no live lease is held (a killed holder's lease lapses by itself)."""
        deadline = time.time() + limit
        while time.time() < deadline:
            if self.scalar("SELECT count(*) FROM refill_lease WHERE expires_at > now()") == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("the refill lease did not lapse within %ss" % limit)

    def audit(self, name, sample):
        code, results = self.run_job(name, ["audit", "--sample", str(sample), "--json"])
        report = results[-1] if results else {}
        return code, len(report.get("mismatches", [])) if report else None

    # --- servers ----------------------------------------------------------------------
    def start_server(self, name, argv, env):
        process = self.start(name, argv, env)
        for _ in range(400):
            # The URL is on a line of its own; card-app's audit trail may write lines before it.
            with open(process.out_path) as out:
                url = next((line.strip() for line in out if line.startswith(("http://", "https://"))), None)
            if url:
                process.url = url
                return process
            if process.poll() is not None:
                raise RuntimeError("%s exited at start: %s" % (name, open(process.err_path).read()[-500:]))
            time.sleep(0.05)
        raise RuntimeError("%s printed no URL" % name)

    def start_simulator(self, **flags):
        argv = [os.path.join(self.bin, "tome-simulator"), "--port", "0", "--log-level", "debug",
                "--auth-token", self.secrets["tome token"]]
        for key, value in flags.items():
            argv += ["--" + key.replace("_", "-"), str(value)]
        self.simulator = Simulator(self.start_server("simulator", argv, dict(os.environ)))
        return self.simulator

    def start_card_app(self, source="pool", **env):
        return self.start_server(
            "card-app-" + source, [os.path.join(self.bin, "card-app"), "--port", "0"],
            self.env(CARD_APP_TOKEN=self.secrets["card-app token"], CARD_TOKEN_SOURCE=source, **env))

    def stop_server(self, process):
        self.kill(process, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill(process)
            process.wait()
            self.crashes.append("%s did not stop within 15 s of SIGTERM" % process.name)

    # --- the log scan -----------------------------------------------------------------
    TOKEN = re.compile(r"ns[12]_[0-9A-Za-z]{22}")

    def scan_logs(self):
        """Every full token, password and bearer token found in this scenario's output files."""
        found = []
        for path in self.logs + self.shared_logs:
            if not os.path.exists(path):
                continue
            with open(path, errors="replace") as log:
                log.seek(self.offsets.get(path, 0))
                text = log.read()
            for match in self.TOKEN.finditer(text):
                found.append("%s: a full token %s…" % (os.path.basename(path), match.group()[:8]))
            for name, value in self.secrets.items():
                if value in text:
                    found.append("%s: the %s" % (os.path.basename(path), name))
        return found


class Simulator:
    """The simulator's admin API."""

    def __init__(self, process):
        self.process = process
        self.url = process.url

    def admin(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + "/admin/" + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read() or b"null")

    def faults(self, **settings):
        return self.admin("PUT", "faults", settings)

    def reset(self):
        self.faults()
        self.admin("POST", "reset")

    def stats(self):
        return self.admin("GET", "stats")

    def issued(self, namespace):
        return self.stats()["namespaces"][namespace]["tokensIssued"]

    def detokenize(self, namespace, tokens, token):
        request = urllib.request.Request(
            "%s/v1/namespaces/%s/detokenize" % (self.url, namespace), data=json.dumps({"tokens": tokens}).encode(),
            method="POST", headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
        with urllib.request.urlopen(request, timeout=30) as answer:
            body = json.loads(answer.read())
        return {entry["token"]: entry["value"] for entry in body["values"]}


class Session:
    """One long-lived psql session: fast repeated queries, or a transaction held open."""

    def __init__(self, database_url, stderr_path):
        self.process = subprocess.Popen(
            ["psql", database_url, "-qAt", "-F", "\t"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=open(stderr_path, "w"), text=True, bufsize=1)

    def query(self, sql):
        self.process.stdin.write(sql.strip().rstrip(";") + ";\n\\echo __done__\n")
        self.process.stdin.flush()
        lines = []
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the psql session ended")
            if line.strip() == "__done__":
                return lines
            lines.append(line.rstrip("\n"))

    def close(self):
        try:
            self.process.stdin.close()
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()


def session(harness, name="session"):
    path = harness.path(name + ".log")
    harness.logs.append(path)
    return Session(harness.database_url, path)
