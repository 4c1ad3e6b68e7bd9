"""The generic REST verbs (get, list, create, update, patch, delete, deletecollection).

The flow and its order of checks follow k8s.io/apiserver's handlers and registry Store, because
the order decides which error a client sees: decode (400) -> namespace admission (404/403) ->
allocation (422) -> validation (422) -> storage (409).
"""

import base64
import json
import random

import yaml

from . import gojson, managedfields as mf, patch as patchmod, selectors
from .errors import (APIError, bad_request, not_found, already_exists, conflict,
                     precondition_conflict, invalid_object, invalid_options, invalid, required,
                     forbidden, unsupported_media_type_patch, unsupported_media_type_body, details,
                     expired, qualified, internal)
from .gotypes import clone, DecodeError, normalize, nil_empty_collections, now_time
from .schema import DeleteOptions

GENERATE_CHARS = 'bcdfghjklmnpqrstvwxz2456789'
PATCH_TYPES = ('application/json-patch+json', 'application/merge-patch+json',
               'application/strategic-merge-patch+json', 'application/apply-patch+yaml')


class Result:
    """What a verb produced: an object (or list) to encode, a status code and extra headers."""

    def __init__(self, body, code=200, headers=None):
        self.body, self.code, self.headers = body, code, headers or []


def media_type(header):
    return (header or '').split(';', 1)[0].strip().lower()


def one(query, name, default=None):
    v = query.get(name)
    return v[-1] if v else default


class Rest:
    def __init__(self, server):
        self.server = server
        self.store = server.store

    # ----- decoding ----------------------------------------------------------------------------

    def decode_body(self, req, res, data=None, from_patch=False):
        """Body -> (external object normalized through the Go types, warning headers)."""
        if data is None:
            ct = media_type(req.headers.get('content-type')) or 'application/json'
            raw = req.body
            if ct == 'application/yaml':
                try:
                    data = yaml.safe_load(raw.decode('utf-8')) if raw else None
                    data = gojson.parse(json.dumps(data))
                except yaml.YAMLError as e:
                    raise bad_request('error converting YAML to JSON: %s' % e)
            elif ct == 'application/json':
                try:
                    data = gojson.parse(raw)
                except gojson.JSONSyntaxError as e:
                    snippet = raw[:30].decode('utf-8', 'replace')
                    raise bad_request('the object provided is unrecognized (must be of type %s): '
                                      "couldn't get version/kind; json parse error: %s (%s ...)"
                                      % (res.kind, e, snippet))
            else:
                raise unsupported_media_type_body()
        if not isinstance(data, dict):
            raise bad_request('the object provided is unrecognized (must be of type %s): '
                              "couldn't get version/kind; json parse error: json: cannot unmarshal "
                              '%s into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; '
                              'Kind string "json:\\"kind,omitempty\\"" }' % (res.kind, _jkind(data)))
        kind, api_version = data.get('kind'), data.get('apiVersion')
        if not from_patch:
            if not kind:
                raise bad_request("Object 'Kind' is missing in '%s'" % json.dumps(data, separators=(',', ':')))
            if not api_version:
                raise bad_request("Object 'apiVersion' is missing in '%s'" % json.dumps(data, separators=(',', ':')))
        version = (api_version or '').split('/')[-1]
        if kind and (kind != res.kind or (api_version and api_version != res.api_version)):
            raise bad_request('%s in version "%s" cannot be handled as a %s: no kind "%s" is '
                              'registered for version "%s" in scheme "pkg/runtime/scheme.go:100"'
                              % (kind, version, res.kind, kind, api_version))
        try:
            obj, unknown = normalize(data, res.type)
        except DecodeError as e:
            raise bad_request('%s in version "%s" cannot be handled as a %s: %s'
                              % (res.kind, res.version, res.kind, e))
        obj['kind'], obj['apiVersion'] = res.kind, res.api_version
        obj = _reorder_type_meta(obj)
        warnings = []
        mode = one(req.query, 'fieldValidation', 'Warn')
        if unknown:
            if mode == 'Strict':
                raise bad_request('%s in version "%s" cannot be handled as a %s: strict decoding error: %s'
                                  % (res.kind, res.version, res.kind,
                                     ', '.join('unknown field "%s"' % u for u in unknown)))
            if mode != 'Ignore':
                warnings = [('Warning', '299 - "unknown field \\"%s\\""' % u) for u in unknown]
        obj.setdefault('metadata', {})
        # Defaulting may add fields anywhere: decode again, unless it changed nothing (a patch
        # of a stored object, the hot case), for decoding is idempotent.
        before = clone(obj)
        res.strategy.defaults(obj)
        if obj != before:
            obj, _ = normalize(obj, res.type)
        return obj, warnings

    # ----- helpers -----------------------------------------------------------------------------

    def check_namespace_admission(self, res, ns, name):
        """NamespaceLifecycle admission for creates: 404 missing, 403 terminating."""
        if not res.namespaced:
            return
        nsobj = self.store.get('namespaces', '', ns)
        if nsobj is None:
            raise APIError(404, 'namespaces "%s" not found' % ns, 'NotFound',
                           {'name': ns, 'kind': 'namespaces'})
        if nsobj['metadata'].get('deletionTimestamp'):
            raise APIError(403, '%s "%s" is forbidden: unable to create new content in namespace %s '
                                'because it is being terminated' % (qualified(res), name, ns),
                           'Forbidden', details(res, name, causes=[{
                               'reason': 'NamespaceTerminating',
                               'message': 'namespace %s is being terminated' % ns,
                               'field': 'metadata.namespace'}]))

    def manager(self, req):
        return one(req.query, 'fieldManager') or mf.manager_from_user_agent(req.headers.get('user-agent'))

    def external(self, res, obj):
        """A private copy of a stored object as the resource's API version shows it."""
        if res.storage_converts:
            return _reorder_type_meta(normalize(res.to_external(clone(obj)), res.type)[0])
        return clone(obj)

    def view(self, res, obj):
        """external() without the copy when no conversion is needed: only for callers that
        read it (encode an answer), never change it (it may be the stored object itself)."""
        if res.storage_converts:
            return self.external(res, obj)
        return obj

    def invalid(self, res, name, errs):
        # Validation runs on the internal (storage) object: events.k8s.io errors say "Event".
        group = self.server.storage_resource(res).group
        return invalid_object(res.kind, name, errs, group or None)

    def update_managed(self, res, old_ext, new_ext, req, subresource):
        entries = new_ext['metadata'].get('managedFields')
        if entries is None:
            entries = old_ext['metadata'].get('managedFields') if old_ext else None
        reset = ('status',) if (subresource == '' and res.strategy.status_subresource) else ()
        if subresource == 'status':
            reset = tuple(k for k in new_ext if k not in ('metadata', 'status', 'kind', 'apiVersion'))
        base = old_ext if old_ext is not None else self.empty(res)
        out = mf.update(mf.decode_entries(entries), base, new_ext, res.type, self.manager(req),
                        res.api_version, subresource, now_time(), reset)
        enc = mf.encode_entries(out)
        if enc:
            new_ext['metadata']['managedFields'] = enc
        else:
            new_ext['metadata'].pop('managedFields', None)

    def empty(self, res):
        obj, _ = normalize({}, res.type)
        return obj

    def finish(self, res, obj):
        """Internal form as etcd stores it (empty lists/maps become nil)."""
        return nil_empty_collections(_reorder_type_meta(normalize(obj, res.type)[0]), res.type)

    def to_internal(self, res, ext):
        internal = res.to_internal(ext)
        internal_res = self.server.storage_resource(res)
        return nil_empty_collections(normalize(internal, internal_res.type)[0], internal_res.type)

    # ----- GET ---------------------------------------------------------------------------------

    def get(self, req, res, ns, name, subresource=''):
        rv = one(req.query, 'resourceVersion')
        if rv not in (None, '', '0'):
            self.check_rv_not_future(rv)
        obj = self.store.get(res.storage, ns, name)
        if obj is None:
            raise not_found(res, name)
        return Result(self.view(res, obj))

    def check_rv_not_future(self, rv):
        try:
            n = int(rv)
        except ValueError:
            raise internal('resourceVersion: Invalid value: "%s": strconv.ParseUint: parsing "%s": invalid syntax' % (rv, rv))
        if n > self.store.rv:
            raise too_large_rv(n, self.store.rv)

    # ----- LIST --------------------------------------------------------------------------------

    def list(self, req, res, ns):
        q = req.query
        label_reqs = selectors.parse_label_selector(one(q, 'labelSelector', ''))
        field_terms = selectors.parse_fields(one(q, 'fieldSelector', ''), res)
        rv, match = one(q, 'resourceVersion'), one(q, 'resourceVersionMatch')
        limit = _int(one(q, 'limit', '0'))
        token = one(q, 'continue')
        errs = []
        if match and not rv:
            errs.append(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'))
        if match == 'Exact' and rv == '0':
            errs.append(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'))
        if match and match not in ('Exact', 'NotOlderThan'):
            errs.append(invalid('resourceVersionMatch', match, 'is invalid'))
        if token and rv:
            errs.append(forbidden('resourceVersion', 'specifying resource version is not allowed when using continue'))
        if errs:
            raise invalid_options('ListOptions', errs)
        if rv not in (None, ''):
            try:
                int(rv)
            except ValueError:
                raise internal('resourceVersion: Invalid value: "%s": strconv.ParseUint: parsing "%s": invalid syntax' % (rv, rv))

        start = ''
        cache = self.store.caches.get(res.storage)
        if token:
            at, start = self.decode_continue(token)
            if at == -1:
                at = self.store.rv
            if at <= self.store.compacted:
                newtok = encode_continue(-1, start)
                raise expired('The provided continue parameter is too old to display a consistent '
                              'list result. You can start a new list without the continue parameter, '
                              'or use the continue token in this response to retrieve the remainder of '
                              'the results. Continuing with the provided token results in an '
                              'inconsistent list - objects that were created, modified, or deleted '
                              'between the time the first chunk was returned and now may show up in '
                              'the list.', {'continue': newtok})
            items = self.store.items_at(res.storage, ns, at)
        elif rv == '0' and cache is not None:
            at, items, limit = self.cache_rv(res), self.store.items(res.storage, ns), 0
        elif rv and limit and match == 'NotOlderThan':
            # With a limit the cacher hands the list to etcd (1.28 shouldDelegateList: hasLimit),
            # which reads the current revision and checks it against the minimum at once: no
            # wait, and NewTooLargeResourceVersionError(rv, current, 0), so no retryAfterSeconds.
            n = int(rv)
            if n > self.store.rv:
                raise too_large_rv(n, self.store.rv, retry_seconds=0)
            at, items = self.store.rv, self.store.items(res.storage, ns)
        elif rv and (match == 'Exact' or limit):
            at = int(rv)
            if at > self.store.rv:
                raise internal('etcdserver: mvcc: required revision is a future revision')
            if at <= self.store.compacted:
                raise expired('The resourceVersion for the provided list is too old.')
            items = self.store.items_at(res.storage, ns, at)
        elif rv and rv != '0':
            n = int(rv)
            current = self.cache_rv(res) if cache is not None else self.store.rv
            if n > self.store.rv:
                raise too_large_rv(n, current)
            at = current if cache is not None else self.store.rv
            items = self.store.items(res.storage, ns)
        else:
            at, items = self.store.rv, self.store.items(res.storage, ns)

        cluster_wide = ns is None and res.namespaced
        if start:
            items = [o for o in items if _key(o, cluster_wide) >= start]
        filtered = [o for o in items if self.matches(res, o, label_reqs, field_terms)]
        meta = {'resourceVersion': str(at)}
        if limit and limit > 0 and len(filtered) > limit:
            page = filtered[:limit]
            meta['continue'] = encode_continue(at, _key(page[-1], cluster_wide) + '\x00')
            if not label_reqs and not field_terms:
                meta['remainingItemCount'] = len(filtered) - limit
            filtered = page
        out_items = []
        for o in filtered:
            e = dict(self.view(res, o))     # a shallow copy is enough to drop the type meta
            e.pop('kind', None)
            e.pop('apiVersion', None)
            out_items.append(e)
        return Result({'kind': res.list_kind, 'apiVersion': res.api_version, 'metadata': meta,
                       'items': out_items})

    def cache_rv(self, res):
        cache = self.store.caches.get(res.storage)
        return max(cache.list_rv, self.store.type_rv[res.storage])

    def matches(self, res, obj, label_reqs, field_terms):
        return (selectors.labels_match(label_reqs, obj['metadata'].get('labels'))
                and selectors.fields_match(field_terms, res, obj))

    def decode_continue(self, token):
        try:
            raw = base64.urlsafe_b64decode(token + '=' * (-len(token) % 4))
        except Exception:
            raise bad_request('invalid continue token: continue key is not valid: illegal base64 data at input byte 0')
        try:
            data = gojson.parse(raw.decode('latin-1'))
        except gojson.JSONSyntaxError as e:
            raise bad_request('invalid continue token: continue key is not valid: %s' % e)
        if not isinstance(data, dict) or data.get('v') != 'meta.k8s.io/v1':
            raise bad_request('invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)')
        start = data.get('start', '')
        if not start:
            raise bad_request('invalid continue token: continue key is not valid: encoded start key empty')
        return int(data.get('rv', 0)), start

    # ----- CREATE ------------------------------------------------------------------------------

    def create(self, req, res, ns, obj=None, warnings=(), url_name=None, dry_run=False, keep_managed=False):
        if obj is None:
            obj, warnings = self.decode_body(req, res)
        meta = obj['metadata']
        if res.namespaced:
            if meta.get('namespace') and meta['namespace'] != ns:
                raise bad_request('the namespace of the provided object does not match the namespace sent on the request')
            meta['namespace'] = ns
        else:
            meta.pop('namespace', None)
        if url_name is not None and meta.get('name') and meta['name'] != url_name:
            raise bad_request('the name of the object (%s) does not match the name on the URL (%s)' % (meta['name'], url_name))
        for k in ('uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'generation', 'selfLink'):
            meta.pop(k, None)
        if not keep_managed:
            self.update_managed(res, None, obj, req, '')
        name_hint = meta.get('name') or meta.get('generateName', '')
        self.check_namespace_admission(res, ns, name_hint)
        internal_res = self.server.storage_resource(res)
        strat = res.strategy
        if not meta.get('name') and meta.get('generateName'):
            meta['name'] = meta['generateName'] + ''.join(random.choice(GENERATE_CHARS) for _ in range(5))
        ext_obj = obj
        obj = res.to_internal(ext_obj)
        strat.prepare_create(obj, self.server)
        try:
            errs = strat.validate(obj)
            if errs:
                raise self.invalid(res, obj['metadata'].get('name', ''), errs)
            if self.store.get(res.storage, ns if res.namespaced else '', obj['metadata']['name']) is not None:
                raise already_exists(res, obj['metadata']['name'])
        except APIError:
            strat.after_delete(obj, self.server)   # release allocations
            raise
        obj['metadata']['uid'] = strat.new_uid(obj, self.server)
        obj['metadata']['creationTimestamp'] = now_time()
        warnings = list(warnings) + [('Warning', '299 - "%s"' % w) for w in strat.warnings_on_create(obj)]
        stored = self.finish(internal_res, obj)
        if dry_run:
            strat.after_delete(obj, self.server)
            return Result(self.view(res, stored), 201, list(warnings))
        self.store.create(res.storage, stored)
        return Result(self.view(res, stored), 201, list(warnings))

    # ----- UPDATE (PUT) ------------------------------------------------------------------------

    def update(self, req, res, ns, name, subresource=''):
        obj, warnings = self.decode_body(req, res)
        meta = obj['metadata']
        if meta.get('name') != name:
            raise bad_request('the name of the object (%s) does not match the name on the URL (%s)'
                              % (meta.get('name', ''), name))
        if res.namespaced:
            if meta.get('namespace') and meta['namespace'] != ns:
                raise bad_request('the namespace of the provided object does not match the namespace sent on the request')
            meta['namespace'] = ns
        current = self.store.get(res.storage, ns or '', name)
        if current is None:
            if res.strategy.allow_create_on_update and subresource == '':
                if meta.get('resourceVersion'):
                    raise not_found(res, name)
                return self.create(req, res, ns, obj, warnings, url_name=name, dry_run=_dry(req))
            raise not_found(res, name)
        rv = meta.get('resourceVersion')
        if not rv:
            if not res.strategy.allow_unconditional_update:
                raise _rv_required(res, name)
        elif rv != current['metadata']['resourceVersion']:
            raise conflict(res, name)
        return self.write_update(req, res, current, obj, subresource, warnings)

    def write_update(self, req, res, current, new_ext, subresource, warnings=(), apply_entries=None):
        """Shared tail of PUT and PATCH: managed fields, strategy, validation, no-op detection."""
        strat = res.strategy
        old_ext = self.view(res, current)
        name = current['metadata']['name']
        new_ext['metadata']['resourceVersion'] = current['metadata']['resourceVersion']
        for k in ('uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'):
            if k in current['metadata']:
                new_ext['metadata'][k] = current['metadata'][k]
            else:
                new_ext['metadata'].pop(k, None)
        new = res.to_internal(new_ext)
        old = clone(current)
        taken = []
        if subresource == 'status':
            strat.prepare_status_update(new, old)
        else:
            if hasattr(strat, 'fill_update'):
                taken = strat.fill_update(new, old, self.server) or []
            strat.prepare_update(new, old)
        internal_res = self.server.storage_resource(res)
        if subresource != 'status' or res.storage_converts:
            new = normalize(new, internal_res.type)[0]
        # else: a /status write is decoded already (its status from the body, the rest from the
        # stored object); only the order of the top-level fields may differ, which managedFields
        # do not see and finish() restores.

        # managedFields are computed on the external shape, after the reset of ignored parts.
        new_ext2 = self.view(res, new)     # `new` is ours: changing it in place is fine
        if apply_entries is not None:
            new_ext2['metadata']['managedFields'] = apply_entries
        else:
            new_ext2['metadata']['managedFields'] = new_ext['metadata'].get('managedFields')
            self.update_managed(res, old_ext, new_ext2, req, subresource)
        new = res.to_internal(new_ext2)
        if 'managedFields' not in new_ext2['metadata']:
            new['metadata'].pop('managedFields', None)
        try:
            if subresource == 'status':
                errs = strat.validate_status_update(new, old)
            else:
                errs = strat.validate_update(new, old)
            if errs:
                raise self.invalid(res, name, errs)
        except APIError:
            for what, v in taken:
                (self.server.allocator.ips if what == 'ip' else self.server.allocator.ports).discard(v)
            raise
        stored = self.finish(internal_res, new)
        if stored == current:
            return Result(self.view(res, current), 200, list(warnings))
        if _dry(req):
            return Result(self.view(res, stored), 200, list(warnings))
        if hasattr(strat, 'after_update'):
            strat.after_update(stored, current, self.server)
        if stored['metadata'].get('deletionTimestamp') and not stored['metadata'].get('finalizers'):
            self.store.delete(res.storage, current)
            return Result(self.view(res, stored), 200, list(warnings))
        self.store.update(res.storage, stored, current)
        return Result(self.view(res, stored), 200, list(warnings))

    # ----- PATCH -------------------------------------------------------------------------------

    def patch(self, req, res, ns, name, subresource=''):
        ct = media_type(req.headers.get('content-type'))
        if ct not in PATCH_TYPES:
            raise unsupported_media_type_patch()
        if ct == 'application/apply-patch+yaml':
            return self.apply(req, res, ns, name, subresource)
        current = self.store.get(res.storage, ns or '', name)
        if current is None:
            raise not_found(res, name)
        try:
            body = gojson.parse(req.body)
        except gojson.JSONSyntaxError as e:
            raise bad_request('error decoding patch: %s' % e) if ct != 'application/merge-patch+json' \
                else bad_request('the object provided is unrecognized (must be of type %s): '
                                 "couldn't get version/kind; json parse error: %s" % (res.kind, e))
        doc = self.view(res, current)     # every patch function works on its own copy
        try:
            if ct == 'application/json-patch+json':
                patched = patchmod.json_patch(doc, body)
            elif ct == 'application/merge-patch+json':
                patched = patchmod.merge_patch(doc, body)
            else:
                if not isinstance(body, dict):
                    raise patchmod.PatchError('invalid patch')
                patched = patchmod.strategic_merge(doc, body, res.type)
        except patchmod.PatchError:
            raise APIError(422, 'the server rejected our request due to an error in our request', 'Invalid', {})
        obj, warnings = self.decode_body(req, res, data=patched, from_patch=True)
        prv = obj['metadata'].get('resourceVersion')
        if prv and prv != current['metadata']['resourceVersion']:
            raise conflict(res, name)
        if obj['metadata'].get('name') != name:
            raise bad_request('the name of the object (%s) does not match the name on the URL (%s)'
                              % (obj['metadata'].get('name', ''), name))
        return self.write_update(req, res, current, obj, subresource, warnings)

    def apply(self, req, res, ns, name, subresource):
        manager = one(req.query, 'fieldManager')
        if not manager:
            raise invalid_options('PatchOptions', [required('fieldManager', 'is required for apply patch')])
        force = one(req.query, 'force') in ('true', '1')
        try:
            config = yaml.safe_load(req.body.decode('utf-8')) or {}
            config = gojson.parse(json.dumps(config))
        except (yaml.YAMLError, gojson.JSONSyntaxError, UnicodeDecodeError) as e:
            raise bad_request('error decoding YAML: %s' % e)
        if not isinstance(config, dict):
            raise bad_request('error decoding YAML: not an object')
        cfg, warnings = self.decode_body(req, res, data=clone(config), from_patch=True)
        # Only what the user wrote is applied (not the zero values the Go types add).
        cfg = _prune_to(cfg, config, res.type)
        current = self.store.get(res.storage, ns or '', name)
        creating = current is None
        live = self.external(res, current) if current else self.empty(res)
        merged = patchmod.apply_merge(live, cfg, res.type)
        reset = ('status',) if (subresource == '' and res.strategy.status_subresource) else ()
        if subresource == 'status':
            reset = tuple(k for k in merged if k not in ('metadata', 'status', 'kind', 'apiVersion'))
        applied = mf.fields_of(mf.strip(cfg, reset), res.type)
        entries = mf.decode_entries(live['metadata'].get('managedFields'))
        me = (manager, 'Apply', subresource)
        conflicts = []
        for e in entries:
            if e.key() == me:
                continue
            for p in sorted(e.paths & applied):
                if patchmod.value_at(live, p, res.type) != patchmod.value_at(merged, p, res.type):
                    conflicts.append((e, p))
        if conflicts and not force:
            raise _conflict_error(conflicts)
        for e, p in conflicts:
            e.paths.discard(p)
        mine = next((e for e in entries if e.key() == me), None)
        if mine is not None:
            dropped = mine.paths - applied
            others = set().union(*[e.paths for e in entries if e is not mine]) if len(entries) > 1 else set()
            patchmod.remove_paths(merged, dropped - others, res.type)
            mine.paths = applied
            mine.time = now_time()
        else:
            entries.append(mf.Entry(manager, 'Apply', res.api_version, now_time(), applied, subresource))
        enc = mf.encode_entries(entries)
        if creating:
            if subresource:
                raise not_found(res, name)
            merged['metadata']['name'] = name
            merged['metadata']['managedFields'] = enc
            obj, _ = normalize(merged, res.type)
            res.strategy.defaults(obj)
            obj['metadata']['managedFields'] = enc
            return self._create_applied(req, res, ns, obj, warnings)
        merged['metadata']['managedFields'] = enc
        obj, _ = normalize(merged, res.type)
        res.strategy.defaults(obj)
        return self.write_update(req, res, current, obj, subresource, warnings, apply_entries=enc)

    def _create_applied(self, req, res, ns, obj, warnings):
        return self.create(req, res, ns, obj, warnings, url_name=obj['metadata']['name'],
                           dry_run=_dry(req), keep_managed=True)

    # ----- DELETE ------------------------------------------------------------------------------

    def delete_options(self, req):
        opts = {}
        if req.body and req.body.strip():
            try:
                data = gojson.parse(req.body)
                opts, _ = normalize(data, DeleteOptions)
            except (gojson.JSONSyntaxError, DecodeError) as e:
                raise bad_request(str(e))
        if one(req.query, 'dryRun'):
            opts['dryRun'] = req.query['dryRun']
        return opts

    def delete(self, req, res, ns, name):
        opts = self.delete_options(req)
        current = self.store.get(res.storage, ns or '', name)
        if current is None:
            raise not_found(res, name)
        pre = opts.get('preconditions') or {}
        if pre.get('uid') is not None and pre['uid'] != current['metadata']['uid']:
            raise precondition_conflict(res, name, 'UID', pre['uid'], current['metadata']['uid'],
                                        'deleted and then recreated')
        if pre.get('resourceVersion') is not None and pre['resourceVersion'] != current['metadata']['resourceVersion']:
            raise precondition_conflict(res, name, 'ResourceVersion', pre['resourceVersion'],
                                        current['metadata']['resourceVersion'], 'modified')
        strat = res.strategy
        if opts.get('dryRun'):
            return Result(self.external(res, current) if strat.delete_returns_object else self.success(res, current))
        if hasattr(strat, 'delete'):
            return Result(self.external(res, strat.delete(current, self.server, res)))
        if current['metadata'].get('finalizers'):
            if current['metadata'].get('deletionTimestamp'):
                return Result(self.external(res, current))
            new = clone(current)
            new['metadata']['deletionTimestamp'] = now_time()
            new['metadata']['deletionGracePeriodSeconds'] = 0
            self.store.update(res.storage, new, current)
            return Result(self.external(res, new))
        gone = self.store.delete(res.storage, current)
        strat.after_delete(current, self.server)
        if strat.delete_returns_object:
            return Result(self.external(res, gone))
        return Result(self.success(res, current))

    def success(self, res, obj):
        return {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Success',
                'details': details(res, obj['metadata']['name'], obj['metadata']['uid'])}

    def delete_collection(self, req, res, ns):
        opts = self.delete_options(req)
        label_reqs = selectors.parse_label_selector(one(req.query, 'labelSelector', ''))
        field_terms = selectors.parse_fields(one(req.query, 'fieldSelector', ''), res)
        victims = [o for o in self.store.items(res.storage, ns)
                   if self.matches(res, o, label_reqs, field_terms)]
        items = []
        for o in victims:
            if not opts.get('dryRun'):
                self.store.delete(res.storage, o)
                res.strategy.after_delete(o, self.server)
            e = self.external(res, o)
            e.pop('kind', None)
            e.pop('apiVersion', None)
            items.append(e)
        return Result({'kind': res.list_kind, 'apiVersion': res.api_version,
                       'metadata': {'resourceVersion': str(self.store.rv)}, 'items': items})


# ----- module helpers ------------------------------------------------------------------------------

def _jkind(v):
    from .gotypes import json_kind
    return json_kind(v)


def _reorder_type_meta(obj):
    out = {}
    for k in ('kind', 'apiVersion'):
        if k in obj:
            out[k] = obj[k]
    for k, v in obj.items():
        if k not in out:
            out[k] = v
    return out


def _int(s):
    try:
        return int(s)
    except (TypeError, ValueError):
        return 0


def _dry(req):
    return 'All' in (req.query.get('dryRun') or [])


def _key(obj, cluster_wide):
    m = obj['metadata']
    return (m.get('namespace', '') + '/' + m['name']) if cluster_wide and m.get('namespace') else m['name']


def encode_continue(rv, start):
    raw = json.dumps({'v': 'meta.k8s.io/v1', 'rv': rv, 'start': start}, separators=(',', ':'))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip('=')


def too_large_rv(n, current, retry_seconds=1):
    """storage.NewTooLargeResourceVersionError: the watch cache's (retry 1 s, recorded in
    05-compaction/12) or etcd's (retry 0: no retryAfterSeconds, no Retry-After header)."""
    details = {'causes': [{'reason': 'ResourceVersionTooLarge', 'message': 'Too large resource version'}]}
    headers = {}
    if retry_seconds:
        details['retryAfterSeconds'] = retry_seconds
        headers['Retry-After'] = str(retry_seconds)
    return APIError(504, 'Timeout: Too large resource version: %d, current: %d' % (n, current), 'Timeout',
                    details, headers=headers)


def _rv_required(res, name):
    e = invalid('metadata.resourceVersion', 0, 'must be specified for an update')
    e.detail = 'Invalid value: 0x0: must be specified for an update'
    err = invalid_object(res.plural, name, [e], res.group or None)
    err.details['kind'] = res.plural
    return err


def _prune_to(obj, shape, typ, keep=()):
    """Keep only the keys present in the user's applied config (recursively), plus the (defaulted)
    keys of map-list items, which identify the items (ports: port + protocol)."""
    from .gotypes import Struct, Map, List, deref
    t = deref(typ) if typ is not None else None
    if isinstance(obj, dict) and isinstance(shape, dict):
        out = {}
        for k, v in obj.items():
            if k in shape or k in keep:
                ct = t.field(k) if isinstance(t, Struct) else (t.elem if isinstance(t, Map) else None)
                out[k] = _prune_to(v, shape.get(k, v), ct)
        return out
    if isinstance(obj, list) and isinstance(shape, list):
        elem = t.elem if isinstance(t, List) else None
        keys = t.keys if isinstance(t, List) and t.kind == 'map' else ()
        return [_prune_to(o, s, elem, keys) for o, s in zip(obj, shape)]
    return obj


def _manager_text(e):
    s = '"%s"' % e.manager
    if e.subresource:
        s += ' with subresource "%s"' % e.subresource
    if e.operation == 'Update':
        s += ' using %s' % e.api_version
    return s


def _conflict_error(conflicts):
    if len(conflicts) == 1:
        e, p = conflicts[0]
        msg = 'Apply failed with 1 conflict: conflict with %s: %s' % (_manager_text(e), patchmod.path_string(p))
    else:
        by = {}
        for e, p in conflicts:
            by.setdefault(_manager_text(e), []).append(p)
        parts = []
        for m, paths in by.items():
            parts.append('conflicts with %s:' % m + ''.join('\n- %s' % patchmod.path_string(p) for p in paths))
        msg = 'Apply failed with %d conflicts: ' % len(conflicts) + '\n'.join(parts)
    causes = [{'reason': 'FieldManagerConflict', 'message': 'conflict with %s' % _manager_text(e),
               'field': patchmod.path_string(p)} for e, p in conflicts]
    return APIError(409, msg, 'Conflict', {'causes': causes})
