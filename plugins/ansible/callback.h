/*
 * callback.h - the Python source of the stdout callback plugin that
 * ansible.so writes into each step's workspace.  ansible-core ships no JSON
 * stdout callback (the "json" one lives in the ansible.posix collection),
 * so the plugin brings its own: it prints one JSON document on stdout at
 * the end of the run, in the shape of ansible.posix.json
 *
 *   {"plays": [{"play": {"name"}, "tasks": [{"task": {"name", "action"},
 *               "hosts": {"<host>": {changed, failed, skipped, unreachable,
 *                                    ignored, msg, rc, stderr}}}]}],
 *    "stats": {"<host>": {ok, changed, failures, unreachable, skipped,
 *                         rescued, ignored}}}
 *
 * but only with the few result keys the plugin reads: module arguments,
 * facts and stdout (which may carry decrypted vault data) never leave
 * ansible-playbook.  Long strings are cut to their last 4 KiB.
 */
#ifndef INN_ANSIBLE_CALLBACK_H
#define INN_ANSIBLE_CALLBACK_H

#define ANSIBLE_CALLBACK_NAME "innominatus_json"

static const char ansible_callback_py[] =
	"# innominatus_json - stdout callback written by innominatus's ansible.so\n"
	"# into the step workspace: one JSON document with plays, tasks and stats.\n"
	"from __future__ import absolute_import, division, print_function\n"
	"__metaclass__ = type\n"
	"\n"
	"DOCUMENTATION = '''\n"
	"    name: innominatus_json\n"
	"    type: stdout\n"
	"    short_description: one JSON document for innominatus\n"
	"    description: [Prints one JSON document when the playbook ends.]\n"
	"'''\n"
	"\n"
	"import json\n"
	"import sys\n"
	"\n"
	"from ansible.parsing.ajson import AnsibleJSONEncoder\n"
	"from ansible.plugins.callback import CallbackBase\n"
	"\n"
	"KEEP = ('changed', 'failed', 'skipped', 'unreachable', 'msg', 'rc', 'stderr')\n"
	"CUT = 4096\n"
	"\n"
	"\n"
	"def _cut(v):\n"
	"    if isinstance(v, str) and len(v) > CUT:\n"
	"        return v[-CUT:]\n"
	"    return v\n"
	"\n"
	"\n"
	"class CallbackModule(CallbackBase):\n"
	"    CALLBACK_VERSION = 2.0\n"
	"    CALLBACK_TYPE = 'stdout'\n"
	"    CALLBACK_NAME = 'innominatus_json'\n"
	"\n"
	"    def __init__(self, display=None):\n"
	"        super(CallbackModule, self).__init__(display)\n"
	"        self.plays = []\n"
	"\n"
	"    def v2_playbook_on_play_start(self, play):\n"
	"        self.plays.append({'play': {'name': play.get_name()}, 'tasks': []})\n"
	"\n"
	"    def _task(self, task):\n"
	"        if not self.plays:\n"
	"            self.plays.append({'play': {'name': ''}, 'tasks': []})\n"
	"        self.plays[-1]['tasks'].append({'task': {'name': task.get_name(),\n"
	"                                                 'action': task.action},\n"
	"                                        'hosts': {}})\n"
	"\n"
	"    def v2_playbook_on_task_start(self, task, is_conditional):\n"
	"        self._task(task)\n"
	"\n"
	"    def v2_playbook_on_handler_task_start(self, task):\n"
	"        self._task(task)\n"
	"\n"
	"    def _record(self, result, **status):\n"
	"        r = result._result\n"
	"        out = {}\n"
	"        for k in KEEP:\n"
	"            if k in r:\n"
	"                out[k] = _cut(r[k])\n"
	"        if status.get('failed') and isinstance(r.get('results'), list):\n"
	"            for item in r['results']:\n"
	"                if isinstance(item, dict) and item.get('failed'):\n"
	"                    if 'msg' in item:\n"
	"                        out['msg'] = _cut(item['msg'])\n"
	"                    if 'stderr' in item:\n"
	"                        out['stderr'] = _cut(item['stderr'])\n"
	"                    break\n"
	"        out.update(status)\n"
	"        if not self.plays or not self.plays[-1]['tasks']:\n"
	"            self._task(result._task)\n"
	"        self.plays[-1]['tasks'][-1]['hosts'][result._host.get_name()] = out\n"
	"\n"
	"    def v2_runner_on_ok(self, result):\n"
	"        self._record(result)\n"
	"\n"
	"    def v2_runner_on_failed(self, result, ignore_errors=False):\n"
	"        self._record(result, failed=True, ignored=bool(ignore_errors))\n"
	"\n"
	"    def v2_runner_on_skipped(self, result):\n"
	"        self._record(result, skipped=True)\n"
	"\n"
	"    def v2_runner_on_unreachable(self, result):\n"
	"        self._record(result, unreachable=True)\n"
	"\n"
	"    def v2_playbook_on_stats(self, stats):\n"
	"        summary = {}\n"
	"        for h in sorted(stats.processed.keys()):\n"
	"            summary[h] = stats.summarize(h)\n"
	"        sys.stdout.write('\\n' + json.dumps({'plays': self.plays,\n"
	"                                             'stats': summary},\n"
	"                                            cls=AnsibleJSONEncoder,\n"
	"                                            sort_keys=True) + '\\n')\n"
	"        sys.stdout.flush()\n";

#endif
