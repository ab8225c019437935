"""Start-up of tome-prefetch in Lambda mode: process start to its first Runtime API request.

A stub Runtime API answers 500 to `next`, so each run exits right after its first request.
Usage: startup.py BINARY RUNS  (DATABASE_URL and TOME_URL must be set, as for a real start)."""
import http.server, os, socketserver, subprocess, sys, threading, time

first = {}


class Stub(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if "invocation/next" in self.path and "t" not in first:
            first["t"] = time.perf_counter()
        self.send_response(500)
        self.end_headers()
        self.wfile.write(b'{"errorMessage":"stub","errorType":"Stub"}')

    def log_message(self, *args):
        pass


server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Stub)
threading.Thread(target=server.serve_forever, daemon=True).start()
samples = []
for _ in range(int(sys.argv[2])):
    first.clear()
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % server.server_address[1])
    started = time.perf_counter()
    process = subprocess.Popen([sys.argv[1]], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while "t" not in first and time.perf_counter() - started < 10:
        time.sleep(0.0002)
    process.wait(timeout=10)
    if "t" in first:
        samples.append((first["t"] - started) * 1000)
samples.sort()
print("%.1f" % samples[len(samples) // 2] if samples else "nan")
