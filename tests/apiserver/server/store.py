"""The object store: etcd-like MVCC history plus the apiserver's per-type watch caches.

One cluster-wide revision counter (an object's resourceVersion is the revision of its last write),
per-key revision lists so a LIST can be served at an older revision (paging snapshots), etcd-style
compaction, and a watch cache per resource type whose window decides when a watch gets 410.
Everything runs on the single asyncio thread, so there are no locks.
"""

import asyncio
import collections
import time

from .schema import ObjectMeta
from .gotypes import clone

META_ORDER = [f.name for f in ObjectMeta.fields]


def set_resource_version(obj, rv):
    """Set metadata.resourceVersion keeping ObjectMeta's field order."""
    meta = obj['metadata']
    meta['resourceVersion'] = str(rv)
    obj['metadata'] = {k: meta[k] for k in sorted(meta, key=lambda k: META_ORDER.index(k)
                                                  if k in META_ORDER else len(META_ORDER))}


class WatchEvent:
    __slots__ = ('rv', 'res', 'type', 'obj', 'prev', 'time')

    def __init__(self, rv, res, type_, obj, prev):
        self.rv, self.res, self.type, self.obj, self.prev = rv, res, type_, obj, prev
        self.time = time.monotonic()


class WatchCache:
    """kube-apiserver's cacher buffer for one resource type.

    It holds at least the last `LOW` events, more while they are younger than `FRESH` seconds
    (eventFreshDuration). Until it has evicted anything, watches from the RV it was started at
    (list_rv) onwards are served; afterwards from `oldest event RV - 1` onwards.
    """
    LOW, HIGH, FRESH = 100, 100 * 1024, 75.0

    def __init__(self, list_rv):
        self.reset(list_rv)

    def reset(self, list_rv):
        self.list_rv = list_rv
        self.events = collections.deque()
        self.evicted = False

    def append(self, ev):
        self.events.append(ev)
        now = time.monotonic()
        while len(self.events) > self.LOW and (now - self.events[0].time > self.FRESH
                                               or len(self.events) > self.HIGH):
            self.events.popleft()
            self.evicted = True

    def oldest_minus_one(self):
        if not self.evicted:
            return self.list_rv
        return self.events[0].rv - 1 if self.events else self.list_rv

    def since(self, rv):
        return [e for e in self.events if e.rv > rv]


class Store:
    def __init__(self, cached_resources):
        self.rv = 1
        self.objects = collections.defaultdict(dict)      # res -> {(ns, name): obj}
        self.revs = collections.defaultdict(list)         # (res, ns, name) -> [(rv, obj|None)]
        self.log = []                                     # etcd event log since compaction
        self.compacted = 0
        self.caches = {r: WatchCache(self.rv) for r in cached_resources}
        self.type_rv = collections.defaultdict(int)       # newest RV written per type
        self.watchers = set()
        self.write_hooks = []

    # ----- reads -----

    def get(self, res, ns, name):
        return self.objects[res].get((ns, name))

    def items(self, res, ns=None):
        """Current objects of a type, in etcd key order."""
        objs = self.objects[res]
        keys = [k for k in objs if ns is None or k[0] == ns]
        keys.sort(key=lambda k: sort_key(k, ns is None))
        return [objs[k] for k in keys]

    def items_at(self, res, ns, rv):
        """The objects of a type as they were at revision `rv` (rv must not be compacted)."""
        out = []
        for (r, kns, kname), revs in self.revs.items():
            if r != res or (ns is not None and kns != ns):
                continue
            state = None
            for wrv, obj in revs:
                if wrv > rv:
                    break
                state = obj
            if state is not None:
                out.append(((kns, kname), state))
        out.sort(key=lambda kv: sort_key(kv[0], ns is None))
        return [o for _, o in out]

    # ----- writes -----

    def _write(self, res, key, type_, obj, prev):
        self.rv += 1
        rv = self.rv
        set_resource_version(obj, rv)
        if type_ == 'DELETED':
            self.objects[res].pop(key, None)
            self.revs[(res,) + key].append((rv, None))
        else:
            self.objects[res][key] = obj
            self.revs[(res,) + key].append((rv, obj))
        ev = WatchEvent(rv, res, type_, obj, prev)
        self.log.append(ev)
        self.type_rv[res] = rv
        cache = self.caches.get(res)
        if cache is not None:
            cache.append(ev)
        for w in list(self.watchers):
            w.offer(ev)
        for hook in self.write_hooks:
            hook(ev)
        return obj

    def create(self, res, obj):
        m = obj['metadata']
        return self._write(res, (m.get('namespace', ''), m['name']), 'ADDED', obj, None)

    def update(self, res, obj, prev):
        m = obj['metadata']
        return self._write(res, (m.get('namespace', ''), m['name']), 'MODIFIED', obj, prev)

    def delete(self, res, prev):
        m = prev['metadata']
        obj = clone(prev)
        return self._write(res, (m.get('namespace', ''), m['name']), 'DELETED', obj, prev)

    # ----- history -----

    def compact(self, rv, reset_caches=True):
        """etcd compaction at `rv`; with reset_caches the watch caches also forget events <= rv
        (as if their window had moved), so watches from older RVs get 410."""
        rv = min(rv, self.rv)
        self.compacted = max(self.compacted, rv)
        for key in list(self.revs):
            revs = self.revs[key]
            keep_from = 0
            for i, (wrv, _) in enumerate(revs):
                if wrv <= rv:
                    keep_from = i
            revs = revs[keep_from:]
            if revs and revs[0][0] <= rv and revs[0][1] is None:
                revs = revs[1:]
            if revs:
                self.revs[key] = revs
            else:
                del self.revs[key]
        self.log = [e for e in self.log if e.rv > rv]
        if reset_caches:
            for cache in self.caches.values():
                cache.events = collections.deque(e for e in cache.events if e.rv > rv)
                if cache.list_rv < rv:
                    cache.list_rv = rv
                    cache.evicted = False

    def restart(self):
        """What an apiserver restart does to the caches: they restart at the current RV."""
        for cache in self.caches.values():
            cache.reset(self.rv)

    # ----- backup and restore (etcdctl snapshot save / etcdutl snapshot restore) -----

    def snapshot(self):
        """The whole keyspace with its history, as `etcdctl snapshot save` keeps it."""
        return {'rv': self.rv, 'compacted': self.compacted, 'log': list(self.log),
                'type_rv': dict(self.type_rv), **_copy_keyspace(self.objects, self.revs)}

    def restore(self, snap, bump_revision=0, mark_compacted=False):
        """The cluster rebuilt from `snap`: every object as it was then, the revision counter back
        at the snapshot's (resourceVersions go backwards) unless `bump_revision` moves it on, as
        `etcdutl snapshot restore --bump-revision N [--mark-compacted]` does. The watch caches
        start again at the restored revision, as after the apiserver restart a restore needs."""
        self.rv = snap['rv'] + int(bump_revision)
        self.compacted = self.rv if mark_compacted else snap['compacted']
        keyspace = _copy_keyspace(snap['objects'], snap['revs'])
        self.objects = collections.defaultdict(dict, keyspace['objects'])
        self.revs = collections.defaultdict(list, keyspace['revs'])
        self.log = [e for e in snap['log'] if e.rv > self.compacted]
        self.type_rv = collections.defaultdict(int, snap['type_rv'])
        self.restart()

    async def wait_for_rv(self, rv, timeout):
        """Waits until the revision reaches `rv` or `timeout` passes (the cacher's
        waitUntilFreshAndBlock); True when it did."""
        deadline = time.monotonic() + timeout
        while self.rv < rv:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            await asyncio.sleep(min(0.05, left))
        return True

    def log_since(self, res, rv):
        return [e for e in self.log if e.res == res and e.rv > rv]


def _copy_keyspace(objects, revs):
    """Deep copies of the objects and their revisions; an object both current and in the
    history stays one object."""
    copies = {}

    def copy(o):
        if o is None:
            return None
        if id(o) not in copies:
            copies[id(o)] = clone(o)
        return copies[id(o)]
    return {'objects': {res: {k: copy(o) for k, o in objs.items()} for res, objs in objects.items()},
            'revs': {k: [(rv, copy(o)) for rv, o in rs] for k, rs in revs.items()}}


def sort_key(key, cluster_wide):
    ns, name = key
    return (ns + '/' + name) if (cluster_wide and ns) else name
