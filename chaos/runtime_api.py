"""A minimal AWS Lambda Runtime API (2018-06-01) that hands out queued events one at a time
and records how the function answered each: enough to drive the job's Lambda mode."""

import http.server
import queue
import threading
import time


class RuntimeAPI:
    def __init__(self):
        self.events = queue.Queue()
        self.answers = {}  # request id -> ("response" | "error", body)
        self.init_errors = []
        self.answered = threading.Condition()
        self._ids = iter(range(1, 1 << 62))
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms stall between

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != "/2018-06-01/runtime/invocation/next":
                    return self.reply(404, b'{"errorType":"NotFound"}')
                body = api.events.get()  # Lambda holds `next` open until there is an event
                request_id = "chaos-%d" % next(api._ids)
                self.reply(200, body, {
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 60_000),
                    "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:eu-west-1:000000000000:function:tome-prefetch",
                })

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = self.path.split("/")
                if self.path == "/2018-06-01/runtime/init/error":
                    api.init_errors.append(body)
                elif len(parts) == 6 and parts[3] == "invocation" and parts[5] in ("response", "error"):
                    with api.answered:
                        api.answers[parts[4]] = (parts[5], body)
                        api.answered.notify_all()
                else:
                    return self.reply(404, b'{"errorType":"NotFound"}')
                self.reply(202, b'{"status":"OK"}')

            def reply(self, status, body, headers=None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = "127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for_answers(self, count, timeout):
        """Waits until `count` invocations have been answered; False on timeout."""
        deadline = time.time() + timeout
        with self.answered:
            while len(self.answers) < count:
                left = deadline - time.time()
                if left <= 0:
                    return False
                self.answered.wait(left)
        return True

    def close(self):
        self.server.shutdown()
