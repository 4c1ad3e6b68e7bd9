"""Replaying recorded kube-apiserver exchanges against the test server and comparing the answers.

Values the server invents (uids, resourceVersions, cluster IPs, node ports, continue tokens,
generated names) are *bound*: the first time a recorded value meets ours they are paired, and
from then on the pairing must hold (and recorded values in later requests are replaced by ours).
Timestamps only need the right shape. Everything else must be equal, key order included.
"""

import json
import os
import re
import urllib.parse

import yaml

from harness import SAMPLES, ADMIN, LIMITED, SA

BIND_KEYS = {'uid', 'resourceVersion', 'clusterIP', 'clusterIPs', 'nodePort', 'healthCheckNodePort',
             'continue', 'serverAddress'}
TOKEN_RE = re.compile(r'[A-Za-z0-9.:-]+')
TIME_KEYS = {'creationTimestamp', 'deletionTimestamp', 'time'}
TIME_RE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$')
AGE_RE = re.compile(r'^\d+[smhdy](\d+[smh])?$')
TOKENS = {'admin': ADMIN, 'limited': LIMITED, 'bad': 'not-a-valid-token', 'none': None, 'lbd-sa': SA}
PF_HEADERS = ('x-kubernetes-pf-flowschema-uid', 'x-kubernetes-pf-prioritylevel-uid')


class Exchange:
    def __init__(self, section, name):
        base = os.path.join(SAMPLES, section, name)
        with open(base + '.request.txt', 'rb') as f:
            req = f.read().decode('utf-8')
        head, _, body = req.partition('\n\n')
        lines = head.split('\n')
        self.method, self.target, _ = lines[0].split(' ', 2)
        self.headers = {}
        for l in lines[1:]:
            k, _, v = l.partition(': ')
            self.headers[k] = v
        self.body = body[:-1] if body.endswith('\n') else body
        with open(base + '.response.txt', 'rb') as f:
            raw = f.read()
        rhead, _, self.resp_body = raw.partition(b'\r\n\r\n')
        rl = rhead.decode().split('\r\n')
        self.status = int(rl[0].split()[1])
        self.resp_headers = {}
        for l in rl[1:]:
            k, _, v = l.partition(': ')
            self.resp_headers.setdefault(k.lower(), v)
        self.name = name


class Replayer:
    def __init__(self, server):
        self.s = server
        self.binds = {}
        self.pf_seen = {}   # our X-Kubernetes-Pf-* UID -> the recorded one it was bound to
        self.times = {}     # recorded time -> ours, first seen (only to rewrite later requests)
        self.problems = []

    # ----- bindings -----

    def bind(self, rec, mine, where):
        if not isinstance(rec, (str, int)) or isinstance(rec, bool):
            return self.eq(rec, mine, where)
        key = (type(rec).__name__, rec)
        if key in self.binds:
            if self.binds[key] != mine:
                self.problems.append('%s: %r was bound to %r, now %r' % (where, rec, self.binds[key], mine))
        else:
            self.binds[key] = mine

    def subst_str(self, s):
        """Replace whole tokens that are bound values (uids, RVs, IPs, ports) by ours."""
        def one(m):
            tok = m.group(0)
            for cand in (('str', tok), ('int', int(tok)) if tok.isdigit() else None):
                if cand and cand in self.binds:
                    return str(self.binds[cand])
            if ':' in tok:   # "80:32388" in a Ports cell
                return ':'.join(one(re.match(r'.*', p)) if p else p for p in tok.split(':'))
            return tok
        return TOKEN_RE.sub(one, s)

    def subst(self, v, key=None):
        if isinstance(v, dict):
            gen = 'generateName' in v
            return {k: (self.subst(x, k) if k in BIND_KEYS or (k == 'name' and gen) or isinstance(x, (dict, list))
                        else self.times.get(x, x) if k in TIME_KEYS else x) for k, x in v.items()}
        if isinstance(v, list):
            return [self.subst(x, key) for x in v]
        k = (type(v).__name__, v)
        return self.binds.get(k, v) if key else v

    # ----- comparison -----

    def eq(self, rec, mine, where):
        if rec != mine:
            self.problems.append('%s: recorded %s, got %s' % (where, _short(rec), _short(mine)))

    def compare(self, rec, mine, where='', key=None, parent=None):
        if key in TIME_KEYS:
            if rec is None or mine is None:
                return self.eq(rec, mine, where)
            if not (isinstance(mine, str) and TIME_RE.match(mine) and len(mine) == len(rec)):
                self.problems.append('%s: bad time %r' % (where, mine))
            self.times.setdefault(rec, mine)
            return
        if key in BIND_KEYS or (key == 'name' and isinstance(parent, dict)
                                and ('generateName' in parent or 'causes' in parent)):
            if isinstance(rec, list) and isinstance(mine, list) and len(rec) == len(mine):
                for i, (a, b) in enumerate(zip(rec, mine)):
                    self.bind(a, b, '%s[%d]' % (where, i))
                return
            return self.bind(rec, mine, where)
        if isinstance(rec, dict) and isinstance(mine, dict):
            if list(rec) != list(mine):
                self.problems.append('%s: keys %s != %s' % (where, list(rec), list(mine)))
            # details first: a generated name bound there is then known when 'message' is compared
            for k in sorted(rec, key=lambda k: k != 'details'):
                if k in mine:
                    self.compare(rec[k], mine[k], where + '.' + k, k, rec)
            return
        if isinstance(rec, list) and isinstance(mine, list):
            if key == 'items' and len(rec) == len(mine):
                mine = self.align_items(rec, mine)
            if key == 'managedFields' and len(rec) == len(mine):
                mine = self.align_managers(rec, mine)
            if len(rec) != len(mine):
                self.problems.append('%s: %d items recorded, %d got' % (where, len(rec), len(mine)))
            for i, (a, b) in enumerate(zip(rec, mine)):
                self.compare(a, b, '%s[%d]' % (where, i), key, parent)
            return
        if key == 'cells' or (isinstance(rec, str) and where.endswith(']') and '.cells[' in where):
            if isinstance(rec, str) and AGE_RE.match(rec) and isinstance(mine, str) and AGE_RE.match(mine):
                return
            return self.eq(self.subst_str(rec) if isinstance(rec, str) else rec, mine, where)
        if isinstance(rec, str) and isinstance(mine, str) and rec != mine:
            return self.eq(self.subst_str(rec), mine, where)
        self.eq(rec, mine, where)

    def align_items(self, rec, mine):
        """Put our list items in the recorded order when generated names sort differently."""
        def name(o):
            return (o.get('metadata') or {}).get('name') if isinstance(o, dict) else None
        by_name = {name(o): o for o in mine}
        out = []
        for r in rec:
            n = name(r)
            o = by_name.get(self.binds.get(('str', n), n))
            if o is None:
                return mine
            out.append(o)
        return out

    def align_managers(self, rec, mine):
        """Entries are sorted by time (seconds) first: ours may straddle a second the recording
        did not, which reorders equal entries. Match them by identity instead."""
        def ident(e):
            return (e.get('manager'), e.get('operation'), e.get('subresource', ''))
        by = {ident(e): e for e in mine}
        if sorted(by) != sorted(ident(e) for e in rec):
            return mine
        return [by[ident(e)] for e in rec]

    # ----- one exchange -----

    def replay(self, section, name, token='admin', body_only_shape=False, headers_only=False):
        x = Exchange(section, name)
        target = self.rewrite_target(x.target)
        headers = {k: v for k, v in x.headers.items() if k.lower() not in ('host', 'authorization', 'content-length')}
        body = None
        if x.body or x.method in ('POST', 'PUT', 'PATCH'):
            body = x.body
            if x.body:
                try:
                    body = json.dumps(self.subst(json.loads(x.body)), separators=(',', ':'))
                except ValueError:
                    pass
        r = self.s.request(x.method, target, body=body.encode() if body is not None else None,
                           token=TOKENS[token], headers=headers,
                           content_type=x.headers.get('Content-Type', 'application/json'),
                           ua=x.headers.get('User-Agent', 'x'))
        where = '%s/%s' % (section, name)
        self.eq(x.status, r.status, where + ' status')
        ct = x.resp_headers.get('content-type')
        if ct:
            self.eq(ct, r.header('Content-Type'), where + ' Content-Type')
        for h in ('warning', 'retry-after', 'cache-control', 'vary', 'x-content-type-options', 'content-encoding'):
            if h in x.resp_headers:
                self.eq(self.subst_str(x.resp_headers[h]), r.header(h), where + ' ' + h)
        # Priority and fairness: present exactly where recorded (not on a 401), and one recorded
        # FlowSchema / level UID is always the same one of ours (recordings of other runs of the
        # apiserver have other UIDs; 16-priority-and-fairness has ours).
        for h in PF_HEADERS:
            if h not in x.resp_headers:
                self.eq(None, r.header(h), where + ' ' + h)
            elif r.header(h) is None:
                self.problems.append('%s: no %s header' % (where, h))
            else:
                self.bind(x.resp_headers[h], r.header(h), where + ' ' + h)
                # ... and one of ours always stands for the same recorded one (no two merged)
                seen = self.pf_seen.setdefault(r.header(h), x.resp_headers[h])
                if seen != x.resp_headers[h]:
                    self.problems.append('%s: %s %s stands for recorded %s and %s'
                                         % (where, h, r.header(h), seen, x.resp_headers[h]))
        if headers_only:
            return r
        if ct and ct.startswith('application/json') and x.resp_body.strip():
            try:
                if x.resp_body.strip().count(b'\n') and not x.resp_body.startswith(b'{\n'):
                    # a watch stream: one JSON event per line
                    rec = [json.loads(l) for l in x.resp_body.splitlines() if l.strip()]
                    mine = [json.loads(l) for l in r.body.splitlines() if l.strip()]
                else:
                    rec = json.loads(x.resp_body)
                    mine = json.loads(r.body)
            except ValueError as e:
                self.problems.append('%s: body not JSON (%s): %r' % (where, e, r.body[:200]))
                return r
            if body_only_shape:
                self.eq(list(rec), list(mine), where + ' top-level keys')
                return r
            else:
                self.compare(rec, mine, where)
            pretty = x.resp_body.startswith(b'{\n')
            self.eq(pretty, r.body.startswith(b'{\n'), where + ' pretty-printed')
        elif ct == 'application/yaml':
            self.compare(yaml.safe_load(x.resp_body), yaml.safe_load(r.body), where)
        elif x.resp_body and not body_only_shape:
            self.eq(x.resp_body, r.body, where + ' body')
        return r

    def rewrite_target(self, target):
        u = urllib.parse.urlsplit(target)
        path = '/'.join(str(self.binds.get(('str', seg), seg)) for seg in u.path.split('/'))
        q = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
        out = []
        for k, v in q:
            if k in ('resourceVersion', 'continue'):
                v = str(self.binds.get(('str', v), v))
            out.append((k, v))
        query = '&'.join('%s=%s' % (k, urllib.parse.quote(v, safe=',()!=:/')) for k, v in out)
        return path + ('?' + query if query else '')

    def setup(self, method, path, body=None, ct='application/json'):
        """An unrecorded step of the capture script (curl's own User-Agent, as `q` sent it)."""
        r = self.s.request(method, path, body=json.dumps(body) if isinstance(body, dict) else body,
                           content_type=ct, ua='curl/7.88.1')
        assert r.status < 300, (path, r.status, r.body)
        return r


def _short(v):
    s = json.dumps(v) if not isinstance(v, bytes) else repr(v)
    return s if len(s) < 300 else s[:300] + '...'
