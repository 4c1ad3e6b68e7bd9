#!/usr/bin/python3
"""HTTPS fixture for the HttpClient tests (127.0.0.1 only, stdlib only).

usage: https_fixture.py DIR   -- makes a throwaway CA + server cert + client cert in DIR, serves
HTTP/1.1 on a free port of 127.0.0.1 and prints the port on the first line of stdout.

  GET  /hello          200 "hello"
  *    /echo           200 JSON {method, path, body, headers}
  GET  /status/N       status N, body "status N"
  GET  /stream         chunked: 3 JSON lines 50 ms apart, then the end of the stream
  GET  /cut            chunked: one line and half of another, then the connection is closed
  GET  /slow           answers after 3 s
  GET  /client-cert    200 with the client certificate's CN, or 401 without one
"""
import http.server, json, os, ssl, subprocess, sys, time

d = sys.argv[1]


def sh(*args):
    subprocess.run(args, check=True, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certs():
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    sh("openssl", "req", "-x509", *ec, "-days", "1", "-subj", "/CN=lbd test CA",
       "-keyout", "ca.key", "-out", "ca.crt",
       "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"),
                      ("client", "extendedKeyUsage=clientAuth\n")):
        sh("openssl", "req", *ec, "-subj", f"/CN=lbd-{name}", "-keyout", f"{name}.key", "-out", f"{name}.csr")
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(ext)
        sh("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
           "-CAcreateserial", "-days", "1", "-extfile", f"{name}.ext", "-out", f"{name}.crt")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_body(self, code, body, content_type="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if self.path == "/hello":
            return self.send_body(200, "hello")
        if self.path == "/echo":
            return self.send_body(200, json.dumps({
                "method": self.command, "path": self.path, "body": body,
                "headers": {k.lower(): v for k, v in self.headers.items()}}), "application/json")
        if self.path.startswith("/status/"):
            code = int(self.path.split("/")[2])
            return self.send_body(code, f"status {code}")
        if self.path == "/slow":
            time.sleep(3)
            return self.send_body(200, "slow")
        if self.path == "/client-cert":
            cert = self.connection.getpeercert()
            if not cert:
                return self.send_body(401, "no client certificate")
            cn = dict(x[0] for x in cert["subject"])["commonName"]
            return self.send_body(200, cn)
        if self.path in ("/stream", "/cut"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if self.path == "/cut":
                self.chunk(b'{"n":1}\n{"n":')
                self.close_connection = True
                self.connection.shutdown(2)
                return
            for n in range(1, 4):
                self.chunk(b'{"n":%d}\n' % n)
                time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_body(404, "not found")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


make_certs()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(d, "server.crt"), os.path.join(d, "server.key"))
ctx.load_verify_locations(os.path.join(d, "ca.crt"))
ctx.verify_mode = ssl.CERT_OPTIONAL
# The default listen backlog (5) drops connections when a test opens 50 at once on a busy machine.
http.server.ThreadingHTTPServer.request_queue_size = 128
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
server.socket = ctx.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
