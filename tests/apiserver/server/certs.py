"""A throwaway CA, a server certificate for the listen address, client certificates (openssl)."""

import ipaddress
import os
import subprocess


def _run(args, cwd):
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _san(hosts):
    out = []
    for h in hosts:
        try:
            ipaddress.ip_address(h)
            out.append('IP:' + h)
        except ValueError:
            out.append('DNS:' + h)
    return ','.join(out)


def ensure_ca(d):
    ca_crt, ca_key = os.path.join(d, 'ca.crt'), os.path.join(d, 'ca.key')
    if not (os.path.exists(ca_crt) and os.path.exists(ca_key)):
        _run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
              '-days', '30', '-subj', '/CN=lbd test apiserver CA', '-keyout', 'ca.key', '-out', 'ca.crt',
              '-addext', 'basicConstraints=critical,CA:TRUE',
              '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], d)
    return ca_crt, ca_key


def issue(d, name, cn, orgs=(), hosts=(), server=True):
    """Sign <name>.crt/.key with the CA: server certs get SANs, client certs CN/O = user/groups."""
    subj = '/CN=' + cn + ''.join('/O=' + o for o in orgs)
    _run(['openssl', 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
          '-subj', subj, '-keyout', name + '.key', '-out', name + '.csr'], d)
    ext = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment']
    if server:
        ext += ['extendedKeyUsage=serverAuth', 'subjectAltName=' + _san(hosts)]
    else:
        ext += ['extendedKeyUsage=clientAuth']
    with open(os.path.join(d, name + '.ext'), 'w') as f:
        f.write('\n'.join(ext) + '\n')
    _run(['openssl', 'x509', '-req', '-in', name + '.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key',
          '-CAcreateserial', '-days', '30', '-extfile', name + '.ext', '-out', name + '.crt'], d)
    return os.path.join(d, name + '.crt'), os.path.join(d, name + '.key')


def server_cert(d, host):
    hosts = ['127.0.0.1', '::1', 'localhost']
    if host not in hosts and host not in ('0.0.0.0', '::', ''):
        hosts.insert(0, host)
    return issue(d, 'server', 'kube-apiserver', hosts=hosts)


def kubeconfig(path, server_url, ca, token=None, client_cert=None, client_key=None, user='test'):
    lines = ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: lbd-test',
             '  cluster:', '    server: %s' % server_url, '    certificate-authority: %s' % ca,
             'users:', '- name: %s' % user, '  user:']
    if token:
        lines.append('    token: %s' % token)
    if client_cert:
        lines += ['    client-certificate: %s' % client_cert, '    client-key: %s' % client_key]
    lines += ['contexts:', '- name: lbd-test', '  context:', '    cluster: lbd-test',
              '    user: %s' % user, 'current-context: lbd-test', '']
    with open(path, 'w') as f:
        f.write('\n'.join(lines))
    return path
