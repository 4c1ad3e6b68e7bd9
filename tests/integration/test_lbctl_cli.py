#!/usr/bin/python3
"""lbctl's command line as systemd's tools have it: options before or after the verb, lbctl(1)
and --help naming the same verbs and options, every documented option accepted, and the bash
completion offering exactly those."""
import json
import os
import re
import subprocess
import unittest

from lbdlab import LBCTL, SOURCE_DIR, Lab

MAN_PAGE = os.path.join(SOURCE_DIR, 'man', 'lbctl.1.md')
COMPLETION = os.path.join(SOURCE_DIR, 'ctl', 'completion', 'lbctl.bash')
BASH_COMPLETION = '/usr/share/bash-completion/bash_completion'
EXIT_USAGE, EXIT_NOT_RUNNING = 2, 3


def man_section(name):
    with open(MAN_PAGE) as f:
        text = f.read()
    match = re.search(r'^# %s\n(.*?)(?=^# )' % name, text, re.S | re.M)
    return match.group(1)


def documented_options():
    return set(re.findall(r'\*\*(--[a-z-]+)\*\*', man_section('OPTIONS')))


def documented_verbs():
    return set(re.findall(r'^\*\*([a-z-]+)\*\*$', man_section('COMMANDS'), re.M))


def help_text(*verb):
    result = subprocess.run([LBCTL, *verb, '--help'], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def help_options(*verb):
    return set(re.findall(r'^\s+(?:-\w,)?(--[a-z-]+)', help_text(*verb), re.M))


def help_verbs():
    listed = help_text().split('Subcommands:')[1]
    return set(re.findall(r'^\s+([a-z-]+)\s', listed, re.M))


def complete(*words):
    """What the bash completion offers after `lbctl WORDS...` (the last word being completed)."""
    line = ' '.join(('lbctl',) + words)
    script = ('source %s; source %s; COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE=%s; COMP_POINT=%d; _lbctl; '
              'printf "%%s\\n" "${COMPREPLY[@]}"'
              % (BASH_COMPLETION, COMPLETION, ' '.join("'%s'" % w for w in ('lbctl',) + words), len(words),
                 "'%s'" % line, len(line)))
    result = subprocess.run(['bash', '-c', script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


class OptionsAnywhere(unittest.TestCase):
    """Against a running lbd on a private bus."""

    def setUp(self):
        self.lab = Lab().start_bus()
        self.addCleanup(self.lab.close)
        self.lab.write('lbd.toml', '[[pool]]\nname = "web"\naddresses = ["192.0.2.240/28"]\n')
        self.lab.start_lbd()

    def test_options_after_the_verb_mean_the_same(self):
        before = self.lab.lbctl('--json=short', 'pools')
        after = self.lab.lbctl('pools', '--json=short')
        self.assertEqual(after.returncode, 0, after.stderr)
        self.assertEqual(json.loads(after.stdout), json.loads(before.stdout))
        self.assertEqual(json.loads(self.lab.lbctl('status', '--json', 'short').stdout)['version'],
                         json.loads(self.lab.lbctl('--json=short', 'status').stdout)['version'])
        self.assertEqual(self.lab.lbctl('pools', '--no-legend', '--no-pager').stdout,
                         self.lab.lbctl('--no-pager', '--no-legend', 'pools').stdout)
        self.assertNotIn('listed', self.lab.lbctl('services', '--no-legend').stdout)
        # The bus too (the lab passes its own --bus first; a later one wins, as with systemctl).
        self.assertEqual(self.lab.lbctl('status', '--bus', self.lab.address).returncode, 0)

    def test_a_bad_option_after_the_verb_is_still_a_usage_error(self):
        result = self.lab.lbctl('pools', '--frobnicate')
        self.assertEqual(result.returncode, EXIT_USAGE)
        self.assertIn('--frobnicate', result.stderr)
        self.assertEqual(self.lab.lbctl('pools', '--json=yaml').returncode, EXIT_USAGE)


class DocumentedEqualsAccepted(unittest.TestCase):
    def test_man_page_and_help_name_the_same_verbs(self):
        self.assertEqual(documented_verbs(), help_verbs())

    def test_man_page_and_help_name_the_same_options(self):
        accepted = help_options() | help_options('check-config')
        self.assertEqual(documented_options(), accepted)

    def test_every_documented_option_is_accepted_before_and_after_the_verb(self):
        absent_bus = 'unix:path=/nonexistent/lbctl-cli-test'
        with_value = {'--json': ['--json=pretty'], '--bus': ['--bus', absent_bus]}
        for option in sorted(documented_options() - {'--config', '--pools-dir', '--help', '--version'}):
            argv = with_value.get(option, [option])
            for order in (argv + ['status'], ['status'] + argv):
                result = subprocess.run([LBCTL, '--bus', absent_bus] + order, capture_output=True, text=True)
                # Parsed, then failed to reach lbd: not a usage error.
                self.assertEqual(result.returncode, EXIT_NOT_RUNNING, (order, result.stderr))
        for option in ('--help', '--version'):
            self.assertEqual(subprocess.run([LBCTL, option], capture_output=True).returncode, 0, option)
            self.assertEqual(subprocess.run([LBCTL, 'status', option], capture_output=True).returncode, 0,
                             option)
        config = os.path.join(SOURCE_DIR, 'etc', 'lbd.toml')
        pools = os.path.join(SOURCE_DIR, 'etc', 'pools.d')
        for argv in (['check-config', '--config', config, '--pools-dir', pools],
                     ['--json=short', 'check-config', '-c', config]):
            result = subprocess.run([LBCTL] + argv, capture_output=True, text=True)
            self.assertEqual(result.returncode, 0, (argv, result.stdout, result.stderr))

    def test_version_names_the_program_and_its_version(self):
        out = subprocess.run([LBCTL, '--version'], capture_output=True, text=True).stdout
        self.assertRegex(out.strip(), r'^lbctl \d+\.\d+\.\d+')


@unittest.skipUnless(os.path.exists(BASH_COMPLETION), 'needs the bash-completion package')
class BashCompletion(unittest.TestCase):
    def test_verbs(self):
        self.assertEqual(complete(''), help_verbs())
        self.assertEqual(complete('po'), {'pools'})
        self.assertEqual(complete('--no-legend', 'se'), {'services'})
        self.assertEqual(complete('status', ''), set(), 'one verb only')

    def test_options_are_those_of_help(self):
        self.assertEqual(complete('status', '--'), help_options())
        self.assertEqual(complete('check-config', '--'), help_options() | help_options('check-config'))
        self.assertEqual(complete('--js'), {'--json'})

    def test_values(self):
        self.assertEqual(complete('--json', ''), {'pretty', 'short'})
        self.assertEqual(complete('pools', '--bus', ''), {'system', 'session'})


if __name__ == '__main__':
    unittest.main()
