"""metav1.Status error bodies, worded exactly as kube-apiserver v1.28 words them."""


class APIError(Exception):
    """An error answered as a JSON Status (or, with `plain`, as text like Go's 404 page)."""

    def __init__(self, code, message, reason=None, details=None, headers=None, plain=False,
                 metadata=None, pretty=False):
        super().__init__(message)
        self.code, self.message, self.reason = code, message, reason
        self.details, self.headers, self.plain = details, headers or {}, plain
        self.metadata = metadata or {}
        self.pretty = pretty

    def status(self):
        body = {'kind': 'Status', 'apiVersion': 'v1', 'metadata': self.metadata,
                'status': 'Failure', 'message': self.message}
        if self.reason:
            body['reason'] = self.reason
        if self.details is not None:
            body['details'] = self.details
        body['code'] = self.code
        return body


def qualified(res):
    """`services` or `leases.coordination.k8s.io`: how errors name a resource."""
    return res.plural + ('.' + res.group if res.group else '')


def details(res, name=None, uid=None, causes=None, kind=None):
    d = {}
    if name:
        d['name'] = name
    if res is not None and res.group:
        d['group'] = res.group
    d['kind'] = kind or (res.plural if res is not None else '')
    if uid:
        d['uid'] = uid
    if causes:
        d['causes'] = causes
    return d


def not_found(res, name):
    return APIError(404, '%s "%s" not found' % (qualified(res), name), 'NotFound',
                    details(res, name))


def already_exists(res, name):
    return APIError(409, '%s "%s" already exists' % (qualified(res), name), 'AlreadyExists',
                    details(res, name))


def conflict(res, name):
    return APIError(409, 'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                         'please apply your changes to the latest version and try again'
                    % (qualified(res), name), 'Conflict', details(res, name))


def precondition_conflict(res, name, what, want, have, hint):
    # Preconditions name the Kind, not the resource (03-services/30,31).
    return APIError(409, 'Operation cannot be fulfilled on %s "%s": the %s in the precondition (%s) '
                         'does not match the %s in record (%s). The object might have been %s'
                    % (res.kind, name, what, want, what, have, hint), 'Conflict',
                    {'name': name, **({'group': res.group} if res.group else {}), 'kind': res.kind})


def bad_request(message):
    return APIError(400, message, 'BadRequest')


def resource_not_found():
    return APIError(404, 'the server could not find the requested resource', 'NotFound', {})


def page_not_found():
    return APIError(404, '404 page not found\n', plain=True)


def method_not_allowed():
    return APIError(405, 'the server does not allow this method on the requested resource',
                    'MethodNotAllowed', {})


def not_acceptable():
    return APIError(406, '406: Not Acceptable\n\nAvailable representations: application/json, '
                         'application/yaml, application/vnd.kubernetes.protobuf',
                    'NotAcceptable', {}, pretty=True)


def unsupported_media_type_patch():
    return APIError(415, '415: Unsupported Media Type', 'UnsupportedMediaType', {})


def unsupported_media_type_body():
    return APIError(415, 'the body of the request was in an unknown format - accepted media types '
                         'include: application/json, application/yaml, '
                         'application/vnd.kubernetes.protobuf', 'UnsupportedMediaType')


def unauthorized():
    return APIError(401, 'Unauthorized', 'Unauthorized')


def expired(message, metadata=None):
    return APIError(410, message, 'Expired', metadata=metadata)


def internal(message):
    return APIError(500, message)


class FieldError:
    """One field.Error: rendered as `<field>: <detail>` and as a Status cause."""

    def __init__(self, field, reason, detail):
        self.field, self.reason, self.detail = field, reason, detail

    def text(self):
        return '%s: %s' % (self.field, self.detail) if self.field else self.detail


def go_value(v):
    """How field errors print an invalid value (%#v-ish for the common cases)."""
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, str):
        return '"%s"' % v.replace('\\', '\\\\').replace('"', '\\"')
    if v is None:
        return 'null'
    return str(v)


def invalid(field, value, detail):
    return FieldError(field, 'FieldValueInvalid', 'Invalid value: %s: %s' % (go_value(value), detail))


def required(field, detail=''):
    return FieldError(field, 'FieldValueRequired', 'Required value' + (': ' + detail if detail else ''))


def forbidden(field, detail):
    return FieldError(field, 'FieldValueForbidden', 'Forbidden: ' + detail)


def duplicate(field, value_text):
    return FieldError(field, 'FieldValueDuplicate', 'Duplicate value: ' + value_text)


def not_supported(field, value, supported):
    return FieldError(field, 'FieldValueNotSupported', 'Unsupported value: %s: supported values: %s'
                      % (go_value(value), ', '.join('"%s"' % s for s in supported)))


def invalid_object(kind_name, name, errs, group=None):
    """422 Invalid: `<Kind>[.<group>] "<name>" is invalid: e` or `... [e1, e2]`. kind_name is the
    Kind for validation errors, the resource for the RV-required error (08-leases/14)."""
    texts = [e.text() for e in errs]
    msg = texts[0] if len(texts) == 1 else '[' + ', '.join(texts) + ']'
    d = {}
    if name:
        d['name'] = name
    if group:
        d['group'] = group
    d['kind'] = kind_name
    d['causes'] = [{'reason': e.reason, 'message': e.detail, 'field': e.field} for e in errs]
    return APIError(422, '%s "%s" is invalid: %s' % (kind_name + ('.' + group if group else ''), name, msg),
                    'Invalid', d)


def invalid_options(kind, errs):
    """422 for ListOptions/PatchOptions (`ListOptions.meta.k8s.io "" is invalid: ...`)."""
    texts = [e.text() for e in errs]
    msg = texts[0] if len(texts) == 1 else '[' + ', '.join(texts) + ']'
    return APIError(422, '%s.meta.k8s.io "" is invalid: %s' % (kind, msg), 'Invalid',
                    {'group': 'meta.k8s.io', 'kind': kind,
                     'causes': [{'reason': e.reason, 'message': e.detail, 'field': e.field}
                                for e in errs]})
