"""Authentication (static bearer tokens, client certificates, anonymous) and RBAC-like rules.

tokens.json:
  {"users":  {"admin": {"groups": ["system:masters"]},
              "lbd":   {"rules": [{"verbs": ["get", "list", "watch"], "apiGroups": [""],
                                   "resources": ["services"], "namespaces": ["demo"]}]}},
   "tokens": {"<bearer token>": "admin", "<another>": "lbd"},
   "anonymous": true}
A rule matches like an RBAC PolicyRule ("*" wildcards; resources may name a subresource as
"services/status"; optional resourceNames and namespaces). Group system:masters may do anything.
A client certificate authenticates as its CN (groups from O), with that user's rules.
A user named `system:serviceaccount:NS:NAME` is a ServiceAccount: like the apiserver's
ServiceAccount token authenticator, it also gets the groups `system:serviceaccounts` and
`system:serviceaccounts:NS` (API Priority and Fairness classifies it by them).
"""

import json

from .errors import APIError, qualified


class User:
    def __init__(self, name, groups=(), rules=()):
        self.name, self.groups, self.rules = name, list(groups), list(rules)

    @property
    def anonymous(self):
        return self.name == 'system:anonymous'


ANONYMOUS = User('system:anonymous', ['system:unauthenticated'])
OPEN_PATHS = ('/version', '/healthz', '/livez', '/readyz')


class Auth:
    def __init__(self, config):
        self.users = config.get('users', {})
        self.tokens = config.get('tokens', {})
        self.anonymous = config.get('anonymous', True)

    @classmethod
    def from_file(cls, path):
        with open(path) as f:
            return cls(json.load(f))

    def user(self, name, extra_groups=()):
        u = self.users.get(name, {})
        return User(name, service_account_groups(name) + list(u.get('groups', [])) + list(extra_groups)
                    + ['system:authenticated'], u.get('rules', []))

    def authenticate(self, headers, peer_cert):
        """-> User, or raise 401. A bad token is 401 even if a certificate was presented."""
        authz = headers.get('authorization', '')
        if authz:
            parts = authz.split(' ', 1)
            if len(parts) == 2 and parts[0].lower() == 'bearer' and parts[1].strip() in self.tokens:
                return self.user(self.tokens[parts[1].strip()])
            raise APIError(401, 'Unauthorized', 'Unauthorized')
        if peer_cert:
            cn, orgs = _subject(peer_cert)
            if cn:
                return self.user(cn, orgs)
        if self.anonymous:
            return ANONYMOUS
        raise APIError(401, 'Unauthorized', 'Unauthorized')

    # ----- authorization -----

    def allowed(self, user, verb, group, resource, subresource, ns, name):
        if 'system:masters' in user.groups:
            return True
        full = resource + ('/' + subresource if subresource else '')
        for rule in user.rules:
            if not _match(rule.get('verbs'), verb):
                continue
            if not _match(rule.get('apiGroups', ['*']), group):
                continue
            res = rule.get('resources', ['*'])
            if not ('*' in res or full in res or (not subresource and resource in res)
                    or (subresource and resource + '/*' in res)):
                continue
            if rule.get('resourceNames') and name not in rule['resourceNames']:
                continue
            if rule.get('namespaces') and ns not in rule['namespaces']:
                continue
            return True
        return False

    def check_resource(self, user, verb, res, subresource, ns, name):
        if self.allowed(user, verb, res.group, res.plural, subresource, ns, name):
            return
        full = res.plural + ('/' + subresource if subresource else '')
        what = '%s "%s"' % (qualified(res), name) if name else qualified(res)
        where = 'in the namespace "%s"' % ns if ns else 'at the cluster scope'
        det = {}
        if name:
            det['name'] = name
        if res.group:
            det['group'] = res.group
        det['kind'] = res.plural
        raise APIError(403, '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s" %s'
                       % (what, user.name, verb, full, res.group, where), 'Forbidden', det,
                       headers={'X-Content-Type-Options': 'nosniff'})

    def check_path(self, user, path, verb='get'):
        if path in OPEN_PATHS or path.startswith(('/healthz/', '/livez/', '/readyz/')):
            return
        if not user.anonymous:
            return   # system:discovery / system:basic-user: any authenticated user
        raise APIError(403, 'forbidden: User "%s" cannot %s path "%s"' % (user.name, verb, path),
                       'Forbidden', {}, headers={'X-Content-Type-Options': 'nosniff'})


def service_account_groups(name):
    parts = name.split(':')
    if len(parts) == 4 and parts[:2] == ['system', 'serviceaccount'] and parts[2] and parts[3]:
        return ['system:serviceaccounts', 'system:serviceaccounts:' + parts[2]]
    return []


def _match(allowed, value):
    allowed = allowed if allowed is not None else []
    return '*' in allowed or value in allowed


def _subject(cert):
    cn, orgs = None, []
    for rdn in cert.get('subject', ()):
        for k, v in rdn:
            if k == 'commonName':
                cn = v
            elif k == 'organizationName':
                orgs.append(v)
    return cn, orgs
