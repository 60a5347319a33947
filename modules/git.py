"""git: clone a repository and keep a checkout at a branch, tag or commit."""

import os
import re
import shlex

ARGUMENT_SPEC = {
    "repo": {"type": "str", "required": True, "aliases": ["name"]},
    "dest": {"type": "path"},
    "version": {"type": "str", "default": "HEAD"},
    "remote": {"type": "str", "default": "origin"},
    "refspec": {"type": "str"},
    "reference": {"type": "str"},
    "force": {"type": "bool", "default": False},
    "depth": {"type": "int"},
    "clone": {"type": "bool", "default": True},
    "update": {"type": "bool", "default": True},
    "verify_commit": {"type": "bool", "default": False},
    "gpg_whitelist": {"type": "list", "elements": "str", "default": []},
    "accept_hostkey": {"type": "bool", "default": False},
    "accept_newhostkey": {"type": "bool", "default": False},
    "key_file": {"type": "path"},
    "ssh_opts": {"type": "str"},
    "executable": {"type": "path"},
    "bare": {"type": "bool", "default": False},
    "recursive": {"type": "bool", "default": True},
    "single_branch": {"type": "bool", "default": False},
    "track_submodules": {"type": "bool", "default": False},
    "umask": {"type": "raw"},
    "archive": {"type": "path"},
    "archive_prefix": {"type": "str"},
    "separate_git_dir": {"type": "path"},
}
SUPPORTS_CHECK_MODE = True
MUTUALLY_EXCLUSIVE = [["separate_git_dir", "bare"], ["accept_hostkey", "accept_newhostkey"]]

SHA_RE = re.compile(r"^[0-9a-fA-F]{7,40}$")


class Git(object):
    def __init__(self, m):
        self.m = m
        p = m.params
        self.exe = p["executable"] or m.get_bin_path("git", True)
        self.dest = p["dest"]
        self.env = {"LANG": "C", "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
        ssh = []
        if p["key_file"]:
            ssh += ["-i", p["key_file"], "-o", "IdentitiesOnly=yes"]
        if p["accept_hostkey"]:
            ssh += ["-o", "StrictHostKeyChecking=no"]
        elif p["accept_newhostkey"]:
            ssh += ["-o", "StrictHostKeyChecking=accept-new"]
        if p["ssh_opts"]:
            ssh += shlex.split(p["ssh_opts"])
        if ssh:
            self.env["GIT_SSH_COMMAND"] = "ssh " + " ".join(shlex.quote(a) for a in ssh)

    def run(self, args, cwd=None, check=True):
        rc, out, err = self.m.run_command([self.exe] + args, cwd=cwd or self.dest, environ_update=self.env)
        if check and rc != 0:
            self.m.fail_json(msg="Failed to run git %s: %s" % (" ".join(args), err.strip() or out.strip()),
                             rc=rc, stdout=out, stderr=err, cmd=" ".join([self.exe] + args))
        return rc, out.strip(), err.strip()

    def head(self):
        rc, out, _ = self.run(["rev-parse", "HEAD"], check=False)
        return out if rc == 0 else None

    def remote_ref(self, repo, version):
        """The commit the remote has for version (HEAD, branch or tag), via ls-remote."""
        if version == "HEAD":
            refs = ["HEAD"]
        else:
            refs = ["refs/heads/%s" % version, "refs/tags/%s^{}" % version, "refs/tags/%s" % version]
        rc, out, err = self.run(["ls-remote", repo] + refs, cwd="/", check=False)
        if rc != 0:
            self.m.fail_json(msg="Failed to query remote %s: %s" % (repo, err))
        found = {}
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            found[ref] = sha
        for r in refs:
            if r in found:
                return found[r], ("branch" if r.startswith("refs/heads/") or r == "HEAD" else "tag")
        if SHA_RE.match(version):
            return version, "sha"
        return None, None


def main(m):
    p = m.params
    g = Git(m)
    repo, dest, version, remote = p["repo"], p["dest"], p["version"], p["remote"]
    if os.path.expanduser(repo).startswith("/"):
        # as Ansible: path repositories become file:// URLs (depth needs a protocol)
        repo = "file://" + os.path.expanduser(repo)
    if dest is None and p["clone"]:
        m.fail_json(msg="the destination directory must be specified unless clone=no")
    res = {"changed": False, "before": None, "after": None, "warnings": []}
    gitdir = dest if p["bare"] else os.path.join(dest or "", ".git")
    exists = dest is not None and os.path.exists(gitdir) and (p["bare"] or os.path.isdir(gitdir) or os.path.isfile(gitdir))
    if not exists:
        remote_sha, kind = g.remote_ref(repo, version)
        if remote_sha is None:
            m.fail_json(msg="Failed to find version %s in the remote %s" % (version, repo))
        res["after"] = remote_sha
        if not p["clone"]:
            return res
        res["changed"] = True
        if m.check_mode:
            return res
        parent = os.path.dirname(dest.rstrip("/"))
        if parent and not os.path.isdir(parent):
            os.makedirs(parent)
        cmd = ["clone", "--origin", remote]
        if p["bare"]:
            cmd.append("--bare")
        if p["depth"] and kind != "sha":
            cmd += ["--depth", str(p["depth"])]
            if version != "HEAD":
                cmd += ["--branch", version]
        if p["single_branch"]:
            cmd.append("--single-branch")
        if p["reference"]:
            cmd += ["--reference", p["reference"]]
        if p["separate_git_dir"]:
            cmd += ["--separate-git-dir", p["separate_git_dir"]]
        g.run(cmd + [repo, dest], cwd="/")
        if not p["bare"]:
            if version != "HEAD":
                g.run(["checkout", "--force", version])
            if p["recursive"]:
                g.run(["submodule", "update", "--init", "--recursive"], check=False)
        res["after"] = g.head()
        return res

    before = g.head()
    res["before"] = before
    rc, url, _ = g.run(["config", "--get", "remote.%s.url" % remote], check=False)
    if url != repo:
        res["remote_url_changed"] = True
        res["changed"] = True
        if not m.check_mode:
            if rc == 0:
                g.run(["remote", "set-url", remote, repo])
            else:
                g.run(["remote", "add", remote, repo])
    if not p["bare"]:
        rc, status, _ = g.run(["status", "--porcelain", "--untracked-files=no"], check=False)
        if status.strip():
            if not p["force"]:
                m.fail_json(msg="Local modifications exist in the destination: %s (force=no)." % dest, **res)
            res["changed"] = True
    if not p["update"]:
        res["after"] = before
        return res
    remote_sha, kind = g.remote_ref(repo, version)
    if remote_sha is None:
        m.fail_json(msg="Failed to find version %s in the remote %s" % (version, repo))
    if kind == "sha" and before and before.startswith(remote_sha) and not res["changed"]:
        res["after"] = before
        return res
    if remote_sha == before and not res["changed"]:
        res["after"] = before
        return res
    if m.check_mode:
        res["changed"] = True
        res["after"] = remote_sha
        return res
    fetch = ["fetch", remote]
    if p["depth"]:
        fetch += ["--depth", str(p["depth"])]
    if p["refspec"]:
        fetch.append(p["refspec"])
    g.run(fetch + ["+refs/heads/*:refs/remotes/%s/*" % remote, "+refs/tags/*:refs/tags/*"] if not p["bare"]
          else fetch + ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"])
    if not p["bare"]:
        if kind == "branch" and version != "HEAD":
            rc, _, _ = g.run(["rev-parse", "--verify", "--quiet", "refs/heads/%s" % version], check=False)
            if rc == 0:
                g.run(["checkout", "--force", version])
            else:
                g.run(["checkout", "--force", "-b", version, "--track", "%s/%s" % (remote, version)])
            g.run(["reset", "--hard", "%s/%s" % (remote, version)])
        elif kind == "branch":
            g.run(["reset", "--hard", remote_sha])
        else:
            g.run(["checkout", "--force", remote_sha if kind == "tag" else version])
        if p["recursive"]:
            g.run(["submodule", "update", "--init", "--recursive"], check=False)
    after = g.head()
    res["after"] = after
    res["changed"] = res["changed"] or after != before
    if res["changed"] and m.diff_mode and before and after:
        rc, out, _ = g.run(["diff", before, after], check=False)
        res["diff"] = {"prepared": out}
    return res
