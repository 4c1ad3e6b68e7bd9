"""The per-kind registry strategy: what differs between kinds in the generic REST flow."""

import datetime
import uuid

from .. import validation
from ..errors import invalid


def age(created):
    """kubectl-style age of a creationTimestamp (the Table 'Age' column)."""
    if not created:
        return '<unknown>'
    t = datetime.datetime.strptime(created, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc)
    secs = int((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())
    if secs < 0:
        secs = 0
    if secs < 120:
        return '%ds' % secs
    mins = secs // 60
    if mins < 10:
        return '%dm%ds' % (mins, secs % 60) if secs % 60 else '%dm' % mins
    if mins < 180:
        return '%dm' % mins
    hours = mins // 60
    if hours < 8:
        return '%dh%dm' % (hours, mins % 60) if mins % 60 else '%dh' % hours
    if hours < 48:
        return '%dh' % hours
    days = hours // 24
    if days < 8:
        return '%dd%dh' % (days, hours % 24) if hours % 24 else '%dd' % days
    if days < 365 * 2:
        return '%dd' % days
    return '%dy' % (days // 365)


class Strategy:
    """Defaults for a kind without special rules."""
    status_subresource = False          # writes to the main resource keep the old status
    allow_create_on_update = False      # PUT to a missing name creates it
    allow_unconditional_update = True   # PUT without metadata.resourceVersion is allowed
    tracks_generation = False           # metadata.generation bumped on spec changes
    delete_returns_object = False       # DELETE answers the object (else a Status)
    name_validator = staticmethod(validation.dns1123_subdomain)

    def __init__(self, resource=None):
        self.res = resource

    # -- scheme defaulting (happens at decode time, so managedFields see it) --
    def defaults(self, obj):
        pass

    # -- registry strategy (after managedFields; not tracked) --
    def new_uid(self, obj, server):
        return str(uuid.uuid4())

    def prepare_create(self, obj, server):
        if self.tracks_generation:
            obj['metadata']['generation'] = 1

    def prepare_update(self, new, old):
        if self.status_subresource and 'status' in old:
            new['status'] = old['status']
        elif self.status_subresource:
            new.pop('status', None)
        if self.tracks_generation:
            gen = old['metadata'].get('generation', 1)
            if self.spec_of(new) != self.spec_of(old):
                gen += 1
            new['metadata']['generation'] = gen

    def prepare_status_update(self, new, old):
        """Writes to /status: everything but status and metadata comes from the stored object."""
        for k in list(new):
            if k not in ('metadata', 'status', 'kind', 'apiVersion'):
                del new[k]
        for k, v in old.items():
            if k not in ('metadata', 'status', 'kind', 'apiVersion'):
                new[k] = v

    def spec_of(self, obj):
        return {k: v for k, v in obj.items() if k not in ('metadata', 'status', 'kind', 'apiVersion')}

    # -- validation --
    def validate(self, obj):
        errs = validation.object_meta(obj['metadata'], self.res.namespaced, self.name_validator, [])
        return errs + self.validate_spec(obj)

    def validate_spec(self, obj):
        return []

    def validate_update(self, new, old):
        errs = validation.object_meta(new['metadata'], self.res.namespaced, self.name_validator, [],
                                      is_create=False)
        return errs + self.validate_spec(new) + self.validate_immutable(new, old)

    def validate_immutable(self, new, old):
        return []

    def validate_status_update(self, new, old):
        return []

    # -- reads --
    def bookmark(self, rv):
        return {'kind': self.res.kind, 'apiVersion': self.res.api_version,
                'metadata': {'resourceVersion': str(rv), 'creationTimestamp': None}}

    def field_value(self, obj, label):
        """Value of a supported field label (metadata.* handled by the caller)."""
        return None

    def table_cells(self, obj):
        return [obj['metadata']['name'], age(obj['metadata'].get('creationTimestamp'))]

    def warnings_on_create(self, obj):
        return []

    # -- lifecycle hooks --
    def after_delete(self, obj, server):
        pass


def meta_immutables(new, old, errs):
    """Fields of ObjectMeta that an update may not change."""
    for f in ('uid', 'creationTimestamp'):
        if f in new['metadata'] and new['metadata'][f] != old['metadata'].get(f):
            errs.append(invalid('metadata.' + f, new['metadata'][f], 'field is immutable'))
    return errs
