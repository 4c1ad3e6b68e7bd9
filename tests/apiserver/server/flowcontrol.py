"""API Priority and Fairness (APF), applied to every authenticated request as kube-apiserver
v1.28 does (k8s.io/apiserver/pkg/util/flowcontrol and its fairqueuing/queueset).

Classification: the FlowSchemas, ordered by matchingPrecedence then name, are tried in turn; the
first with a rule that matches the request (a subject: user, group or ServiceAccount; and a
resource rule: verb, API group, resource[/subresource], namespace or clusterScope; or a
non-resource rule: verb and URL) gives the priority level, and its distinguisher (ByUser,
ByNamespace or none) the flow. A FlowSchema whose level does not exist is skipped ("dangling");
when nothing matches, catch-all applies.

Seats: a Limited level gets ceil(SCL * shares / sum of every level's shares) seats, where SCL =
--max-requests-inflight + --max-mutating-requests-inflight (default 400 + 200). A request holds
one seat while it runs; a watch only until its initial events are written. Exempt levels never
wait.

Queuing: a flow is dealt `handSize` of its level's `queues` by shuffle sharding on a hash of
(FlowSchema name, distinguisher). A request that cannot run at once joins the queue of its hand
with the fewest waiting requests; it is rejected with 429 when every seat is taken and that queue
already holds queueLengthLimit requests, or when it has waited longer than the queue wait limit
(real: a quarter of --request-timeout, 15 s). Levels whose limitResponse is Reject do not queue.

Deliberately simpler than the real one: the real dispatcher is fair queuing on virtual finish
times; here the non-empty queues take turns (round robin), which gives every queue the same
share as long as every request costs one seat, as it does here. No seat borrowing between
levels (lendablePercent / borrowingLimitPercent), no width estimation (real LISTs can take
several seats, writes keep extra seats for their watch notifications).
"""

import asyncio
import collections
import hashlib
import math

from .errors import APIError
from .gotypes import now_time
from .kinds import flowcontrol as fcdata

TOO_MANY = 'Too many requests, please try again later.\n'
TRUE_WORDS = ('1', 't', 'T', 'true', 'TRUE', 'True')     # Go's strconv.ParseBool
VERBS = {'POST': 'create', 'GET': 'get', 'HEAD': 'get', 'PUT': 'update', 'PATCH': 'patch',
         'DELETE': 'delete'}
NAMESPACE_SUBRESOURCES = ('status', 'finalize')
CACHE_MAX = 4096


def too_many_requests():
    return APIError(429, TOO_MANY, plain=True, headers={'Retry-After': '1'})


# ----- what a rule looks at (RequestInfoFactory) ---------------------------------------------------

def request_digest(method, path, query):
    """(is_resource_request, verb, api_group, resource[/subresource], namespace, path)."""
    segs = [s for s in path.split('/') if s]
    parts = None
    if segs and segs[0] == 'api' and len(segs) >= 2:
        group, parts = '', segs[2:]
    elif segs and segs[0] == 'apis' and len(segs) >= 3:
        group, parts = segs[1], segs[3:]
    if not parts or method not in VERBS:
        return (False, method.lower(), '', '', '', path)
    verb = VERBS[method]
    if parts[0] == 'watch':
        if len(parts) < 2:
            return (False, method.lower(), '', '', '', path)
        verb, parts = 'watch', parts[1:]
    ns = ''
    if parts[0] == 'namespaces' and len(parts) > 1:
        ns = parts[1]
        if len(parts) > 2 and parts[2] not in NAMESPACE_SUBRESOURCES:
            parts = parts[2:]
    resource = parts[0]
    named = len(parts) > 1
    if len(parts) > 2:
        resource += '/' + parts[2]
    if not named and verb == 'get':
        verb = 'watch' if (query.get('watch') or [''])[-1] in TRUE_WORDS else 'list'
    elif not named and verb == 'delete':
        verb = 'deletecollection'
    return (True, verb, group, resource, ns, '')


def _subject_matches(s, user, groups):
    kind = s.get('kind')
    if kind == 'Group':
        name = (s.get('group') or {}).get('name')
        return name == '*' or name in groups
    if kind == 'User':
        name = (s.get('user') or {}).get('name')
        return name == '*' or name == user
    if kind == 'ServiceAccount':
        sa = s.get('serviceAccount') or {}
        parts = user.split(':')
        if len(parts) != 4 or parts[:2] != ['system', 'serviceaccount']:
            return False
        return parts[2] == sa.get('namespace') and sa.get('name') in ('*', parts[3])
    return False


def _resource_rule_matches(r, d):
    _, verb, group, resource, ns, _ = d
    if not ('*' in r.get('verbs', ()) or verb in r.get('verbs', ())):
        return False
    if not ('*' in r.get('apiGroups', ()) or group in r.get('apiGroups', ())):
        return False
    if not ('*' in r.get('resources', ()) or resource in r.get('resources', ())):
        return False
    if not ns:
        return bool(r.get('clusterScope'))
    namespaces = r.get('namespaces') or ()
    return '*' in namespaces or ns in namespaces


def _url_matches(pattern, path):
    return pattern == '*' or pattern == path or (pattern.endswith('*') and path.startswith(pattern.rstrip('*')))


def _non_resource_rule_matches(r, d):
    _, verb, _, _, _, path = d
    if not ('*' in r.get('verbs', ()) or verb in r.get('verbs', ())):
        return False
    return any(_url_matches(u, path) for u in r.get('nonResourceURLs', ()))


class Schema:
    """A FlowSchema as the classifier uses it."""

    def __init__(self, name, uid, spec):
        self.name, self.uid = name, uid
        self.level = (spec.get('priorityLevelConfiguration') or {}).get('name', '')
        self.precedence = spec.get('matchingPrecedence', 1000)
        self.distinguisher = (spec.get('distinguisherMethod') or {}).get('type')
        self.rules = spec.get('rules') or []
        self.matched = 0

    def matches(self, user, groups, d):
        for rule in self.rules:
            if not any(_subject_matches(s, user, groups) for s in rule.get('subjects') or ()):
                continue
            if d[0]:
                if any(_resource_rule_matches(r, d) for r in rule.get('resourceRules') or ()):
                    return True
            elif any(_non_resource_rule_matches(r, d) for r in rule.get('nonResourceRules') or ()):
                return True
        return False

    def flow(self, user, d):
        if self.distinguisher == 'ByUser':
            return user
        if self.distinguisher == 'ByNamespace':
            return d[4] if d[0] else ''
        return ''


def flow_hash(schema_name, distinguisher):
    """64 bits of sha256(FlowSchema name, NUL, distinguisher), as the real flow ID hash."""
    h = hashlib.sha256(schema_name.encode() + b'\x00' + distinguisher.encode()).digest()
    return int.from_bytes(h[:8], 'little')


def deal(hash_value, deck, hand):
    """Shuffle sharding: `hand` distinct queue indexes out of `deck`, drawn from the hash by
    reading it as mixed-radix digits (deck, deck-1, ...), each digit picking among the cards
    not dealt yet."""
    cards = []
    for i in range(hand):
        hash_value, pick = divmod(hash_value, deck - i)
        for taken in sorted(cards):
            if pick >= taken:
                pick += 1
        cards.append(pick)
    return cards


# ----- priority levels -----------------------------------------------------------------------------

class Queue(collections.deque):
    """One FIFO queue of a level; `index` is its place in the level's list."""

    def __init__(self, index):
        super().__init__()
        self.index = index
        self.listed = False     # in the level's turn order


class Waiter:
    __slots__ = ('future', 'queue', 'timer', 'flow', 'granted')

    def __init__(self, future, queue, flow):
        self.future, self.queue, self.flow = future, queue, flow
        self.timer = None
        self.granted = False


class Level:
    """One priority level: its seats, its queues and its counters."""

    def __init__(self, name):
        self.name = name
        self.uid = ''
        self.exempt = False
        self.reject = False            # limitResponse Reject: no queues
        self.shares = 0
        self.limit = 0
        self.queue_count = self.hand_size = self.queue_length = 0
        self.queues = []
        self.active = collections.deque()   # indexes of non-empty queues, in turn order
        self.hands = {}
        self.in_flight = self.waiting = 0
        self.reset_counters()

    def reset_counters(self):
        self.dispatched = 0
        self.rejected = {'queue-full': 0, 'time-out': 0, 'concurrency-limit': 0}
        self.peak_in_flight = self.peak_waiting = 0

    def configure(self, uid, spec, limit):
        self.uid = uid
        self.exempt = spec.get('type') == 'Exempt'
        lim = spec.get('limited') or {}
        self.shares = (lim or spec.get('exempt') or {}).get('nominalConcurrencyShares') or 0
        self.limit = limit
        lr = lim.get('limitResponse') or {}
        self.reject = not self.exempt and lr.get('type') != 'Queue'
        q = lr.get('queuing') or {}
        shape = (q.get('queues', 0), q.get('handSize', 0))
        self.queue_length = q.get('queueLengthLimit', 0)
        if shape != (self.queue_count, self.hand_size):
            self.reshape(*shape)
        self.dispatch()

    def reshape(self, queues, hand):
        """New queue count or hand size: waiting requests are dealt again into the new queues."""
        waiting = [w for q in self.queues for w in q]
        self.queue_count, self.hand_size = queues, hand
        self.queues = [Queue(i) for i in range(queues)]
        self.active.clear()
        self.hands = {}
        for w in waiting:
            if queues:
                w.queue = self.shortest(w.flow)
                self.push(w)
            else:
                self.waiting -= 1
                if w.timer is not None:
                    w.timer.cancel()
                w.future.set_result(False)

    def hand(self, flow):
        h = self.hands.get(flow)
        if h is None:
            if len(self.hands) >= CACHE_MAX:
                self.hands = {}
            h = self.hands[flow] = deal(flow, self.queue_count, min(self.hand_size, self.queue_count))
        return h

    def shortest(self, flow):
        """The queue of the flow's hand with the fewest waiting requests (first dealt on ties)."""
        best = None
        for i in self.hand(flow):
            q = self.queues[i]
            if best is None or len(q) < len(best):
                best = q
        return best

    def push(self, w):
        q = w.queue
        if not q.listed:
            q.listed = True
            self.active.append(q.index)
        q.append(w)

    def start(self):
        self.in_flight += 1
        self.dispatched += 1
        if self.in_flight > self.peak_in_flight:
            self.peak_in_flight = self.in_flight

    def release(self):
        self.in_flight -= 1
        self.dispatch()

    def dispatch(self):
        """Give free seats to waiting requests, one queue after the other (round robin)."""
        while self.waiting and self.in_flight < self.limit and self.active:
            q = self.queues[self.active.popleft()]
            q.listed = False
            if not q:
                continue
            w = q.popleft()
            if q:
                q.listed = True
                self.active.append(q.index)
            self.waiting -= 1
            if w.timer is not None:
                w.timer.cancel()
            w.granted = True
            self.start()
            w.future.set_result(True)

    def time_out(self, w):
        if w.granted or w.future.done():
            return
        self.drop(w)
        w.future.set_result(False)

    def drop(self, w):
        """Take a waiting request out of its queue (timed out, or its client went away)."""
        try:
            w.queue.remove(w)
        except ValueError:
            return
        self.waiting -= 1
        if w.timer is not None:
            w.timer.cancel()

    def describe(self):
        d = {'uid': self.uid, 'type': 'Exempt' if self.exempt else 'Limited', 'shares': self.shares,
             'seats': None if self.exempt else self.limit}
        if not self.exempt and not self.reject:
            d.update(queues=self.queue_count, handSize=self.hand_size, queueLengthLimit=self.queue_length)
        d.update(inFlight=self.in_flight, queued=self.waiting, dispatched=self.dispatched,
                 rejected=sum(self.rejected.values()), rejectedBy=dict(self.rejected),
                 peakInFlight=self.peak_in_flight, peakQueued=self.peak_waiting)
        return d


class Ticket:
    """A seat held by one request; release() is idempotent (a watch releases it early)."""
    __slots__ = ('level', 'held')

    def __init__(self, level):
        self.level, self.held = level, True

    def release(self):
        if self.held:
            self.held = False
            self.level.release()


# ----- the controller ------------------------------------------------------------------------------

class FlowControl:
    FS_STORAGE, PL_STORAGE = 'flowschemas', 'prioritylevelconfigurations'

    def __init__(self, server, total_seats=600, wait_limit=15.0):
        self.server, self.total, self.wait_limit = server, total_seats, wait_limit
        self.levels = {}
        self.schemas = []
        self.cache = {}
        self.dirty = True
        self.status_pending = False
        fallback_fs = dict(fcdata.BOOTSTRAP_SCHEMAS)['catch-all']
        self.fallback_schema = Schema('catch-all', fcdata.FS_UIDS['catch-all'], fallback_fs)
        self.fallback_spec = dict(fcdata.BOOTSTRAP_LEVELS)['catch-all']
        server.store.write_hooks.append(self.on_write)

    # -- configuration from the API objects --

    def on_write(self, ev):
        if ev.res in (self.FS_STORAGE, self.PL_STORAGE):
            self.dirty = True
            self.schedule_status()

    def refresh(self):
        store = self.server.store
        pls = {o['metadata']['name']: o for o in store.items(self.PL_STORAGE)}
        share_sum = sum((o['spec'].get('limited') or o['spec'].get('exempt') or {}).get('nominalConcurrencyShares') or 0
                        for o in pls.values())
        levels = {}
        for name, o in pls.items():
            spec = o['spec']
            level = self.levels.get(name) or Level(name)
            shares = (spec.get('limited') or {}).get('nominalConcurrencyShares', 0)
            limit = int(math.ceil(self.total * shares / share_sum)) if share_sum and spec.get('type') != 'Exempt' else 0
            level.configure(o['metadata']['uid'], spec, limit)
            levels[name] = level
        if 'catch-all' not in levels:
            # The apiserver keeps its built-in catch-all even when the object is gone.
            level = self.levels.get('catch-all') or Level('catch-all')
            shares = self.fallback_spec['limited']['nominalConcurrencyShares']
            level.configure(fcdata.PL_UIDS['catch-all'], self.fallback_spec,
                            int(math.ceil(self.total * shares / (share_sum + shares))))
            levels['catch-all'] = level
        self.levels = levels
        schemas = [Schema(o['metadata']['name'], o['metadata']['uid'], o.get('spec') or {})
                   for o in store.items(self.FS_STORAGE)]
        schemas.sort(key=lambda s: (s.precedence, s.name))
        self.schemas = [s for s in schemas if s.level in pls]
        self.cache = {}
        self.dirty = False

    # -- classification and admission --

    def classify(self, req):
        if self.dirty:
            self.refresh()
        user = req.user
        d = request_digest(req.method, req.path, req.query)
        key = (user.name, tuple(user.groups), d)
        hit = self.cache.get(key)
        if hit is None:
            schema = next((s for s in self.schemas if s.matches(user.name, user.groups, d)), self.fallback_schema)
            level = self.levels.get(schema.level) or self.levels['catch-all']
            hit = (schema, level, flow_hash(schema.name, schema.flow(user.name, d)))
            if len(self.cache) >= CACHE_MAX:
                self.cache = {}
            self.cache[key] = hit
        return hit

    async def admit(self, req):
        """Wait for a seat (-> Ticket) or raise the 429. Sets the request's Pf header values."""
        schema, level, flow = self.classify(req)
        schema.matched += 1
        req.flow_schema, req.priority_level = schema, level
        if level.exempt:
            level.start()
            return Ticket(level)
        if level.in_flight < level.limit and not level.waiting:
            level.start()
            return Ticket(level)
        if level.reject:
            level.rejected['concurrency-limit'] += 1
            raise too_many_requests()
        queue = level.shortest(flow)
        if level.in_flight >= level.limit and len(queue) >= level.queue_length:
            level.rejected['queue-full'] += 1
            raise too_many_requests()
        loop = asyncio.get_running_loop()
        w = Waiter(loop.create_future(), queue, flow)
        level.push(w)
        level.waiting += 1
        level.peak_waiting = max(level.peak_waiting, level.waiting)
        w.timer = loop.call_later(self.wait_limit, level.time_out, w)
        level.dispatch()
        try:
            granted = await w.future
        except asyncio.CancelledError:
            if w.granted:
                level.release()
            else:
                level.drop(w)
            raise
        if not granted:
            level.rejected['time-out'] += 1
            raise too_many_requests()
        return Ticket(level)

    # -- the config consumer: FlowSchema status --

    def schedule_status(self):
        if self.status_pending or self.server.bootstrapping:
            return
        self.status_pending = True
        asyncio.get_running_loop().call_soon(self.sync_status)

    def sync_status(self):
        """Keep each FlowSchema's Dangling condition true to whether its level exists, written
        with server-side apply by the apiserver's own field manager, as the real one does."""
        self.status_pending = False
        store = self.server.store
        levels = {o['metadata']['name'] for o in store.items(self.PL_STORAGE)}
        for fs in store.items(self.FS_STORAGE):
            name = fs['metadata']['name']
            level = ((fs.get('spec') or {}).get('priorityLevelConfiguration') or {}).get('name', '')
            exists = level in levels
            cond = next((c for c in (fs.get('status') or {}).get('conditions') or ()
                         if c.get('type') == 'Dangling'), None)
            want = fcdata.dangling_condition(level, exists, now_time())
            if cond is not None and cond.get('status') == want['status'] and cond.get('message') == want['message']:
                continue
            body = {'apiVersion': 'flowcontrol.apiserver.k8s.io/v1beta3', 'kind': 'FlowSchema',
                    'metadata': {'name': name}, 'status': {'conditions': [want]}}
            self.server.internal_request(
                'PATCH', '/apis/flowcontrol.apiserver.k8s.io/v1beta3/flowschemas/%s/status' % name, body,
                content_type='application/apply-patch+yaml', user_agent='kube-apiserver/v1.28.7',
                query='fieldManager=%s&force=true' % fcdata.CONSUMER)

    # -- the control API --

    def describe(self):
        if self.dirty:
            self.refresh()
        return {'serverConcurrencyLimit': self.total, 'queueWaitLimit': self.wait_limit,
                'priorityLevels': {n: l.describe() for n, l in sorted(self.levels.items())},
                'flowSchemas': [{'name': s.name, 'uid': s.uid, 'priorityLevel': s.level,
                                 'matchingPrecedence': s.precedence,
                                 'distinguisherMethod': s.distinguisher, 'matched': s.matched}
                                for s in self.schemas]}

    def reset_counters(self):
        for level in self.levels.values():
            level.reset_counters()
        for s in self.schemas:
            s.matched = 0
