"""Validation helpers shared by the kinds (apimachinery's messages, word for word)."""

import ipaddress
import re

from .errors import invalid, required, forbidden

DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
DNS1123_SUBDOMAIN = DNS1123_LABEL + r'(\.' + DNS1123_LABEL + ')*'
DNS1035_LABEL = '[a-z]([-a-z0-9]*[a-z0-9])?'
QUALIFIED_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'
LABEL_VALUE = '(' + QUALIFIED_NAME + ')?'

MSG_1123_LABEL = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
                  "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
                  "'123-abc', regex used for validation is '%s')" % DNS1123_LABEL)
MSG_1123_SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                      "characters, '-' or '.', and must start and end with an alphanumeric character "
                      "(e.g. 'example.com', regex used for validation is '%s')" % DNS1123_SUBDOMAIN)
MSG_1035_LABEL = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
                  "with an alphabetic character, and end with an alphanumeric character (e.g. "
                  "'my-name',  or 'abc-123', regex used for validation is '%s')" % DNS1035_LABEL)


def _full(regex, s):
    return re.fullmatch(regex, s) is not None


def dns1123_label(s):
    msgs = []
    if len(s) > 63:
        msgs.append('must be no more than 63 characters')
    if not _full(DNS1123_LABEL, s):
        msgs.append(MSG_1123_LABEL)
    return msgs


def dns1123_subdomain(s):
    msgs = []
    if len(s) > 253:
        msgs.append('must be no more than 253 characters')
    if not _full(DNS1123_SUBDOMAIN, s):
        msgs.append(MSG_1123_SUBDOMAIN)
    return msgs


def dns1035_label(s):
    msgs = []
    if len(s) > 63:
        msgs.append('must be no more than 63 characters')
    if not _full(DNS1035_LABEL, s):
        msgs.append(MSG_1035_LABEL)
    return msgs


def namespace_name(s):
    if '.' in s:
        return ['must not contain dots']
    return dns1123_label(s)


def qualified_name(key):
    """Label/annotation keys: optional DNS subdomain prefix + '/' + name part."""
    msgs = []
    parts = key.split('/')
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            msgs.append('prefix part must be non-empty')
        else:
            msgs += ['prefix part ' + m for m in dns1123_subdomain(prefix)]
    else:
        return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must "
                "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                "'123-abc', regex used for validation is '%s') with an optional DNS subdomain prefix "
                "and '/' (e.g. 'example.com/MyName')" % QUALIFIED_NAME]
    if not name:
        msgs.append('name part must be non-empty')
    elif len(name) > 63:
        msgs.append('name part must be no more than 63 characters')
    if not _full(QUALIFIED_NAME, name):
        msgs.append("name part must consist of alphanumeric characters, '-', '_' or '.', and must "
                    "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                    "'123-abc', regex used for validation is '%s')" % QUALIFIED_NAME)
    return msgs


def label_value(v):
    msgs = []
    if len(v) > 63:
        msgs.append('must be no more than 63 characters')
    if not _full(LABEL_VALUE, v):
        msgs.append("a valid label must be an empty string or consist of alphanumeric characters, "
                    "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
                    "'MyValue',  or 'my_value',  or '12345', regex used for validation is '%s')"
                    % LABEL_VALUE)
    return msgs


def object_meta(meta, namespaced, name_fn, errs, is_create=True):
    """ValidateObjectMeta: name, namespace, labels, annotations."""
    name = meta.get('name', '')
    if not name:
        if is_create:
            errs.append(required('metadata.name', 'name or generateName is required'))
    else:
        for m in name_fn(name):
            errs.append(invalid('metadata.name', name, m))
    if namespaced:
        if not meta.get('namespace'):
            errs.append(required('metadata.namespace'))
    elif meta.get('namespace'):
        errs.append(forbidden('metadata.namespace', 'not allowed on this type'))
    for k, v in (meta.get('labels') or {}).items():
        for m in qualified_name(k):
            errs.append(invalid('metadata.labels', k, m))
        for m in label_value(v):
            errs.append(invalid('metadata.labels', v, m))
    for k in (meta.get('annotations') or {}):
        for m in qualified_name(k.lower()):
            errs.append(invalid('metadata.annotations', k, m))
    total = sum(len(k) + len(v) for k, v in (meta.get('annotations') or {}).items())
    if total > 256 * 1024:
        errs.append(FieldTooLong('metadata.annotations', total))
    return errs


def FieldTooLong(field, size):
    from .errors import FieldError
    return FieldError(field, 'FieldValueTooLong',
                      'Too long: must have at most 262144 bytes')


def is_ip(s, family=None):
    try:
        ip = ipaddress.ip_address(s)
    except ValueError:
        return False
    if family == 4:
        return ip.version == 4
    if family == 6:
        return ip.version == 6
    return True


def immutable(field, new, old, errs, shown=None):
    if new != old:
        errs.append(invalid(field, shown if shown is not None else new, 'field is immutable'))
