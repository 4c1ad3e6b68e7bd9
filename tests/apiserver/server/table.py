"""Server-side printing: `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (kubectl get)."""


from .tablecolumns import COLUMNS
from .gotypes import clone

EVENT_COLUMNS = [
    {'name': 'Last Seen', 'type': 'string', 'format': '', 'description': 'Time when last event occurred', 'priority': 0},
    {'name': 'Type', 'type': 'string', 'format': '', 'description': 'Type of this event (Normal, Warning), new types could be added in the future.', 'priority': 0},
    {'name': 'Reason', 'type': 'string', 'format': '', 'description': 'This should be a short, machine understandable string that gives the reason for this event being generated.', 'priority': 0},
    {'name': 'Object', 'type': 'string', 'format': '', 'description': 'Object this event is about.', 'priority': 0},
    {'name': 'Subobject', 'type': 'string', 'format': '', 'description': 'Subobject of the object this event is about.', 'priority': 1},
    {'name': 'Source', 'type': 'string', 'format': '', 'description': 'The component reporting this event.', 'priority': 1},
    {'name': 'Message', 'type': 'string', 'format': '', 'description': 'A human-readable description of the status of this operation.', 'priority': 0},
    {'name': 'First Seen', 'type': 'string', 'format': '', 'description': 'The time at which the event was first recorded.', 'priority': 1},
    {'name': 'Count', 'type': 'string', 'format': '', 'description': 'The number of times this event has occurred.', 'priority': 1},
    {'name': 'Name', 'type': 'string', 'format': 'name', 'description': 'Name must be unique within a namespace.', 'priority': 1},
]


def wants_table(accept):
    """True when the Accept header asks for meta.k8s.io Table (first acceptable entry)."""
    for part in (accept or '').split(','):
        params = [p.strip() for p in part.split(';')]
        if params[0] not in ('application/json', '*/*', 'application/*'):
            continue
        kv = dict(p.split('=', 1) for p in params[1:] if '=' in p)
        if kv.get('as') == 'Table' and kv.get('g') == 'meta.k8s.io' and kv.get('v') in ('v1', 'v1beta1'):
            return True
        if 'as' not in kv:
            return False
    return False


def columns(res):
    return clone(COLUMNS.get(res.plural) if res.plural != 'events' else EVENT_COLUMNS) or \
        [{'name': 'Name', 'type': 'string', 'format': 'name', 'description': 'Name', 'priority': 0},
         {'name': 'Age', 'type': 'string', 'format': '', 'description': 'Age', 'priority': 0}]


def row(res, internal_obj, external_obj):
    meta = clone(external_obj['metadata'])
    return {'cells': res.strategy.table_cells(internal_obj),
            'object': {'kind': 'PartialObjectMetadata', 'apiVersion': 'meta.k8s.io/v1', 'metadata': meta}}


def table(res, meta, rows, with_columns=True):
    return {'kind': 'Table', 'apiVersion': 'meta.k8s.io/v1', 'metadata': meta,
            'columnDefinitions': columns(res) if with_columns else None, 'rows': rows}
