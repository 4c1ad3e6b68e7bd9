"""HTTPS transport: TLS with ALPN (h2 preferred, http/1.1), HTTP/1.1 keep-alive and HTTP/2.

Response framing matches Go's net/http as recorded: headers sorted (the API layer sorts them),
`Date` last, `Content-Length` for bodies under 2 KiB and chunked encoding above (on HTTP/1.1), one
chunk / DATA frame per watch event, and an abrupt close (no terminating chunk, no END_STREAM) when
a stream is aborted.
"""

import asyncio
import email.utils
import http
import ssl

import h2.config
import h2.connection
import h2.events
import h2.exceptions
from hpack import NeverIndexedHeaderTuple

from .api import Request

CHUNK_THRESHOLD = 2048
WRITE_BACKLOG = 256 * 1024      # HTTP/2: wait for the socket beyond this much unsent data


def http_date():
    return email.utils.formatdate(usegmt=True)


def reason(code):
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return 'Status %d' % code


def tls_context(cert, key, client_ca):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(['h2', 'http/1.1'])
    if client_ca:
        # Like kube-apiserver: ask for a client certificate, do not require one.
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.load_verify_locations(client_ca)
    return ctx


class Listener:
    """The HTTPS listener; it can stop listening for a while (fault: refuse connections)."""

    def __init__(self, api, host, port, ssl_ctx):
        self.api, self.host, self.port, self.ssl_ctx = api, host, port, ssl_ctx
        self.server = None
        self.conns = set()

    async def start(self):
        # Go's listener takes somaxconn (4096) as its backlog: a burst of connections is queued
        # by the kernel, not dropped (asyncio's default is 100).
        self.server = await asyncio.start_server(self.on_conn, self.host, self.port, ssl=self.ssl_ctx,
                                                 reuse_address=True, backlog=4096)
        self.port = self.server.sockets[0].getsockname()[1]

    async def refuse(self, seconds, drop_existing):
        """Close the listening socket (clients get ECONNREFUSED), reopen after `seconds`."""
        if self.server is not None:
            self.server.close()
            self.server = None
        if drop_existing:
            for w in list(self.conns):
                w.transport.abort()
        asyncio.get_running_loop().call_later(seconds, lambda: asyncio.ensure_future(self.start()))

    async def on_conn(self, reader, writer):
        self.conns.add(writer)
        try:
            sslobj = writer.get_extra_info('ssl_object')
            alpn = sslobj.selected_alpn_protocol() if sslobj else None
            cert = sslobj.getpeercert() if sslobj else None
            peer = writer.get_extra_info('peername')
            if alpn == 'h2':
                await H2Conn(self.api, reader, writer, cert, peer).run()
            else:
                await H1Conn(self.api, reader, writer, cert, peer).run()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, h2.exceptions.ProtocolError):
            pass
        finally:
            self.conns.discard(writer)
            try:
                writer.close()
            except Exception:
                pass


# ----- HTTP/1.1 ------------------------------------------------------------------------------------

class PushbackReader:
    """A StreamReader with a pushback buffer: bytes read while watching a stream for the client's
    EOF (e.g. its next request on the kept-alive connection) are handed back to the parser."""

    def __init__(self, reader):
        self.reader = reader
        self.buf = b''

    async def read(self, n):
        if self.buf:
            out, self.buf = self.buf[:n], self.buf[n:]
            return out
        return await self.reader.read(n)

    async def readline(self):
        while b'\n' not in self.buf:
            data = await self.reader.read(65536)
            if not data:
                out, self.buf = self.buf, b''
                return out
            self.buf += data
        i = self.buf.index(b'\n') + 1
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    async def readexactly(self, n):
        while len(self.buf) < n:
            data = await self.reader.read(65536)
            if not data:
                raise asyncio.IncompleteReadError(self.buf, n)
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


class H1Response:
    def __init__(self, conn):
        self.conn = conn
        self.w = conn.writer
        self.closed = asyncio.Event()
        self.watching = None

    def _head(self, code, headers, extra):
        lines = ['HTTP/1.1 %d %s' % (code, reason(code))]
        lines += ['%s: %s' % h for h in headers]
        lines.append('Date: ' + http_date())
        lines += extra
        return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')

    async def send(self, code, headers, body, fixed_length=False):
        if code in (204, 304):
            self.w.write(self._head(code, headers, []))
        elif len(body) < CHUNK_THRESHOLD or fixed_length:
            self.w.write(self._head(code, headers, ['Content-Length: %d' % len(body)]) + body)
        else:
            self.w.write(self._head(code, headers, ['Transfer-Encoding: chunked'])
                         + b'%x\r\n' % len(body) + body + b'\r\n0\r\n\r\n')
        await self.w.drain()

    async def start(self, code, headers):
        self.w.write(self._head(code, sorted(headers, key=lambda h: h[0].lower()),
                                ['Transfer-Encoding: chunked']))
        await self.w.drain()

    async def write(self, data):
        self.w.write(b'%x\r\n' % len(data) + data + b'\r\n')
        await self.w.drain()

    async def finish(self):
        self.w.write(b'0\r\n\r\n')
        await self.w.drain()

    async def write_partial(self, data):
        """Fault: the chunk header announces the whole event, half of it arrives, then EOF."""
        self.w.write(b'%x\r\n' % len(data) + data[:max(1, len(data) // 2)])
        await self.w.drain()
        await self.abort()

    async def abort(self):
        self.conn.must_close = True
        self.w.transport.abort()

    def closed_event(self):
        """Set when the client goes away while we stream. Bytes that arrive meanwhile (a next
        request, once the client has read our terminating chunk) are kept for the parser."""
        if self.watching is None:
            async def watch_eof():
                try:
                    while True:
                        data = await self.conn.reader.reader.read(65536)
                        if not data:
                            break
                        self.conn.reader.buf += data
                except (ConnectionError, OSError):
                    pass
                self.closed.set()
                self.conn.must_close = True
            self.watching = asyncio.ensure_future(watch_eof())
        return self.closed

    async def stop_watching(self):
        if self.watching is not None and not self.watching.done():
            self.watching.cancel()
            try:
                await self.watching
            except asyncio.CancelledError:
                pass


class H1Conn:
    def __init__(self, api, reader, writer, cert, peer):
        self.api, self.writer, self.cert, self.peer = api, writer, cert, peer
        self.reader = PushbackReader(reader)
        self.must_close = False

    async def run(self):
        while not self.must_close:
            line = await self.reader.readline()
            if not line:
                return
            if line in (b'\r\n', b'\n'):
                continue
            try:
                method, target, version = line.decode('latin-1').split()
            except ValueError:
                self.writer.write(b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
                return
            headers = {}
            while True:
                h = await self.reader.readline()
                if h in (b'\r\n', b'\n', b''):
                    break
                k, _, v = h.decode('latin-1').partition(':')
                k, v = k.strip().lower(), v.strip()
                headers[k] = headers[k] + ', ' + v if k in headers else v
            if headers.get('expect', '').lower() == '100-continue':
                self.writer.write(b'HTTP/1.1 100 Continue\r\n\r\n')
            body = b''
            if 'chunked' in headers.get('transfer-encoding', '').lower():
                while True:
                    size = int((await self.reader.readline()).split(b';')[0].strip() or b'0', 16)
                    if size == 0:
                        while (await self.reader.readline()) not in (b'\r\n', b'\n', b''):
                            pass
                        break
                    body += await self.reader.readexactly(size)
                    await self.reader.readline()
            elif headers.get('content-length'):
                body = await self.reader.readexactly(int(headers['content-length']))
            if headers.get('connection', '').lower() == 'close' or version == 'HTTP/1.0':
                self.must_close = True
            req = Request(method, target, headers, body, 'http/1.1', self.cert, self.peer)
            resp = H1Response(self)
            try:
                await self.api.handle(req, resp)
            finally:
                await resp.stop_watching()   # a cleanly ended watch leaves the connection usable


# ----- HTTP/2 -------------------------------------------------------------------------------------

class H2Response:
    def __init__(self, conn, sid):
        self.conn, self.sid = conn, sid
        self.closed = asyncio.Event()

    async def send(self, code, headers, body, fixed_length=False):
        hs = [(':status', str(code))] + [_h2_header(k, v) for k, v in headers]
        if code not in (204, 304):
            hs.append(NeverIndexedHeaderTuple('content-length', str(len(body))))
        hs.append(('date', http_date()))
        await self.conn.send_headers(self.sid, hs, end=not body)
        if body:
            await self.conn.send_data(self.sid, body, end=True)

    async def start(self, code, headers):
        hs = [(':status', str(code))] + [_h2_header(k, v) for k, v in sorted(headers, key=lambda h: h[0].lower())]
        hs.append(('date', http_date()))
        await self.conn.send_headers(self.sid, hs, end=False)

    async def write(self, data):
        await self.conn.send_data(self.sid, data, end=False)

    async def finish(self):
        await self.conn.end_stream(self.sid)

    async def write_partial(self, data):
        await self.conn.send_data(self.sid, data[:max(1, len(data) // 2)], end=False)
        await self.abort()

    async def abort(self):
        # The apiserver process going away: the whole connection drops, no END_STREAM. What was
        # already sent (e.g. half an event) goes out first.
        self.conn._write()
        self.conn.writer.transport.abort()

    def closed_event(self):
        return self.closed


def _h2_header(name, value):
    # A value that differs in every answer would only churn the HPACK table: not indexed.
    name = name.lower()
    return NeverIndexedHeaderTuple(name, value) if name == 'audit-id' else (name, value)


class H2Conn:
    def __init__(self, api, reader, writer, cert, peer):
        self.api, self.reader, self.writer, self.cert, self.peer = api, reader, writer, cert, peer
        # Our own headers are well-formed: h2 need not check them (the client's still are).
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=False, header_encoding='utf-8', validate_outbound_headers=False,
            normalize_outbound_headers=False))
        self.streams = {}      # sid -> [headers, body, response]
        self.window = asyncio.Event()
        self.tasks = set()
        self.flush_scheduled = False

    async def flush(self):
        """Frames go out at the end of the loop iteration, so the answers of every stream that
        finished in it share one TLS record and one send() (fewer syscalls and wake-ups)."""
        if not self.flush_scheduled:
            self.flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._write)
        if self.writer.transport.get_write_buffer_size() > WRITE_BACKLOG:
            await self.writer.drain()

    def _write(self):
        self.flush_scheduled = False
        data = self.h2.data_to_send()
        if data and not self.writer.transport.is_closing():
            self.writer.write(data)

    async def send_headers(self, sid, headers, end):
        if sid not in self.streams:
            return
        self.h2.send_headers(sid, headers, end_stream=end)
        await self.flush()

    async def send_data(self, sid, data, end):
        if not data and end:
            return await self.end_stream(sid)
        while data:
            if sid not in self.streams:
                raise ConnectionResetError('stream closed')
            window = min(self.h2.local_flow_control_window(sid), self.h2.max_outbound_frame_size)
            if window <= 0:
                self.window.clear()
                await self.window.wait()
                continue
            chunk, data = data[:window], data[window:]
            self.h2.send_data(sid, chunk, end_stream=end and not data)
            await self.flush()

    async def end_stream(self, sid):
        if sid in self.streams:
            self.h2.end_stream(sid)
            await self.flush()

    async def run(self):
        self.h2.initiate_connection()
        await self.flush()
        try:
            while True:
                data = await self.reader.read(65536)
                if not data:
                    break
                for ev in self.h2.receive_data(data):
                    self.on_event(ev)
                await self.flush()
        finally:
            for st in self.streams.values():
                if st[2] is not None:
                    st[2].closed.set()
            for t in self.tasks:
                t.cancel()

    def on_event(self, ev):
        if isinstance(ev, h2.events.RequestReceived):
            self.streams[ev.stream_id] = [dict(ev.headers), bytearray(), None]
            if ev.stream_ended:
                self.spawn(ev.stream_id)
        elif isinstance(ev, h2.events.DataReceived):
            st = self.streams.get(ev.stream_id)
            if st is not None:
                st[1] += ev.data
            self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            if ev.stream_ended:
                self.spawn(ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            st = self.streams.get(ev.stream_id)
            if st is not None and st[2] is None:
                self.spawn(ev.stream_id)
        elif isinstance(ev, h2.events.WindowUpdated):
            self.window.set()
        elif isinstance(ev, h2.events.RemoteSettingsChanged):
            self.window.set()
        elif isinstance(ev, h2.events.StreamReset):
            st = self.streams.pop(ev.stream_id, None)
            if st is not None and st[2] is not None:
                st[2].closed.set()
            self.window.set()
        elif isinstance(ev, h2.events.ConnectionTerminated):
            for st in self.streams.values():
                if st[2] is not None:
                    st[2].closed.set()

    def spawn(self, sid):
        st = self.streams[sid]
        if st[2] is not None:
            return
        hdrs = st[0]
        resp = H2Response(self, sid)
        st[2] = resp
        headers = {k.lower(): v for k, v in hdrs.items() if not k.startswith(':')}
        if ':authority' in hdrs:
            headers.setdefault('host', hdrs[':authority'])
        req = Request(hdrs.get(':method', 'GET'), hdrs.get(':path', '/'), headers, bytes(st[1]),
                      'h2', self.cert, self.peer)

        async def serve():
            try:
                await self.api.handle(req, resp)
            except (ConnectionError, h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
                pass
            finally:
                self.streams.pop(sid, None)

        t = asyncio.ensure_future(serve())
        self.tasks.add(t)
        t.add_done_callback(self.tasks.discard)
