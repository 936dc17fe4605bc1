"""``deploy_gitops.sh`` under real shells, pushing to real bare repositories.

Each test renders the GitOps deploy template from a config, substitutes the build's outputs
(``digest``, ``image``) into its env as Argo would, and runs the packaged script against a
local bare repository reached by a ``file://`` URL. What the remote branch holds afterwards
(the file, the number of commits, who made them) is read back with git.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks.components.deploy import gitops_deploy
from argo_buildpacks.components.scripts import load
from argo_buildpacks.model.config import BuildConfig
from tests.support.gitrepos import make_repo, run_git
from tests.support.runscript import SHELLS, Shell, render, run, write_executable

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

REAL_GIT = shutil.which("git") or "git"
IMAGE = "registry.example.com/acme/my-python-app"
DIGEST = "sha256:" + "ab12" * 16
OTHER_DIGEST = "sha256:" + "cd34" * 16
BUILT = f"{IMAGE}:1.4.2"

KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- deployment.yaml
images:
- name: redis
  newTag: "7.2"
- name: registry.example.com/acme/my-python-app
  newTag: 1.4.1  # set by hand
namePrefix: prod-
"""
KUSTOMIZATION_DONE = f"""\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- deployment.yaml
images:
- name: redis
  newTag: "7.2"
- name: registry.example.com/acme/my-python-app
  newName: {IMAGE}
  digest: {DIGEST}
namePrefix: prod-
"""
VALUES = """\
# Helm values
replicaCount: 2
image:
  repository: registry.example.com/acme/my-python-app
  digest: ""   # filled by the deploy step
  pullPolicy: IfNotPresent
sidecar:
  image:
    digest: keep-me
notes: |
  image:
    digest: not-this-one
"""


@dataclass
class Remote:
    """A bare repository (the GitOps repo) and a work tree that seeded it."""

    bare: Path

    @property
    def url(self) -> str:
        return self.bare.as_uri()

    def git(self, *args: str) -> str:
        return run_git(self.bare, *args)

    def file(self, path: str, branch: str = "main") -> str:
        """The file's exact text on ``branch``."""
        return subprocess.run(
            ["git", "show", f"{branch}:{path}"],
            cwd=self.bare,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def count(self, branch: str = "main") -> int:
        return int(self.git("rev-list", "--count", branch))


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    work = make_repo(tmp_path / "seed")
    work.commit(
        "seed",
        {
            "apps/my-python-app/kustomization.yaml": KUSTOMIZATION,
            "apps/my-python-app/deployment.yaml": "kind: Deployment\n",
            "charts/app/values.yaml": VALUES,
            "README.md": "deploy repo\n",
        },
    )
    bare = tmp_path / "deploy.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(work.path), str(bare)],
        check=True,
        capture_output=True,
    )
    return Remote(bare)


def component(remote_url: str, **gitops: Any) -> Any:
    gitops.setdefault("path", "apps/my-python-app/kustomization.yaml")
    config = BuildConfig.from_dict(
        {
            "name": "my-python-app",
            "source": {"url": "https://github.com/acme/my-python-app.git"},
            "image": IMAGE,
            "deploy": {"gitops": {"repo": remote_url, **gitops}},
        }
    )
    assert config.deploy is not None and config.deploy.gitops is not None
    return gitops_deploy(config, config.deploy.gitops)


def deploy(
    shell: Shell,
    tmp_path: Path,
    remote: Remote,
    *,
    digest: str = DIGEST,
    built: str = BUILT,
    env: Mapping[str, str | None] | None = None,
    path_prefix: tuple[Path, ...] = (),
    **gitops: Any,
) -> subprocess.CompletedProcess[str]:
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    tmpl = component(gitops.pop("url", remote.url), **gitops)
    rendered = render(tmpl.container)
    # What Argo substitutes for the build's workflow outputs.
    assert rendered.env["DIGEST"] == "{{workflow.outputs.parameters.digest}}"
    assert rendered.env["BUILT"] == "{{workflow.outputs.parameters.image}}"
    return run(
        shell,
        rendered,
        env={
            "DIGEST": digest,
            "BUILT": built,
            "TMPDIR": str(tmp),
            "RETRY_DELAY": "0",
            **(env or {}),
        },
        path_prefix=path_prefix,
        cwd=tmp_path,
    )


def git_wrapper(bin_dir: Path, body: str) -> Path:
    """A fake ``git`` first in PATH: runs ``body`` (shell) and then the real git."""
    return write_executable(bin_dir / "git", f'{body}\nexec "{REAL_GIT}" "$@"\n').parent


def competing_push(tmp_path: Path, remote: Remote, times: int) -> str:
    """Shell for a fake git: before each of the first ``times`` pushes, another writer pushes
    a commit to the remote (it changes README.md), so the deploy's push is rejected."""
    other = tmp_path / "other"
    counter = tmp_path / "pushes"
    return (
        'if [ "$1" = push ]; then\n'
        f'  n=$(cat "{counter}" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" >"{counter}"\n'
        f'  if [ "$n" -le {times} ]; then\n'
        f'    rm -rf "{other}"\n'
        f'    "{REAL_GIT}" clone -q "{remote.bare}" "{other}"\n'
        f'    echo "other $n" >>"{other}/README.md"\n'
        f'    "{REAL_GIT}" -C "{other}" -c user.name=o -c user.email=o@x commit -qam "other $n"\n'
        f'    "{REAL_GIT}" -C "{other}" push -q origin HEAD:main\n'
        "  fi\n"
        "fi"
    )


@pytest.mark.parametrize("shell", SHELLS)
class TestDeploy:
    def test_kustomization_entry_gets_the_digest_in_one_commit(
        self, shell: Shell, tmp_path: Path, remote: Remote
    ) -> None:
        before = remote.count()
        done = deploy(shell, tmp_path, remote)
        assert done.returncode == 0, done.stderr
        assert remote.file("apps/my-python-app/kustomization.yaml") == KUSTOMIZATION_DONE
        assert remote.count() == before + 1
        assert remote.git("log", "-1", "--format=%s") == "deploy my-python-app 1.4.2"
        assert remote.git("log", "-1", "--format=%b") == f"{IMAGE}@{DIGEST}"
        assert remote.git("log", "-1", "--format=%an <%ae> / %cn <%ce>") == (
            "argo-buildpacks <argo-buildpacks@localhost> / "
            "argo-buildpacks <argo-buildpacks@localhost>"
        )
        # Nothing else changed.
        assert remote.git("diff", "--name-only", "main~1", "main") == (
            "apps/my-python-app/kustomization.yaml"
        )

    def test_running_again_with_the_same_digest_commits_nothing(
        self, shell: Shell, tmp_path: Path, remote: Remote
    ) -> None:
        assert deploy(shell, tmp_path, remote).returncode == 0
        count = remote.count()
        again = deploy(shell, tmp_path, remote)
        assert again.returncode == 0, again.stderr
        assert "nothing to commit" in again.stdout
        assert remote.count() == count

    def test_a_new_digest_replaces_the_previous_one(
        self, shell: Shell, tmp_path: Path, remote: Remote
    ) -> None:
        assert deploy(shell, tmp_path, remote).returncode == 0
        done = deploy(shell, tmp_path, remote, digest=OTHER_DIGEST, built=f"{IMAGE}:1.4.3")
        assert done.returncode == 0, done.stderr
        assert remote.file("apps/my-python-app/kustomization.yaml") == (
            KUSTOMIZATION_DONE.replace(DIGEST, OTHER_DIGEST)
        )

    def test_a_missing_entry_is_added(self, shell: Shell, tmp_path: Path, remote: Remote) -> None:
        done = deploy(shell, tmp_path, remote, image_name="ghcr.io/acme/app")
        assert done.returncode == 0, done.stderr
        text = remote.file("apps/my-python-app/kustomization.yaml")
        assert text == KUSTOMIZATION.replace(
            "namePrefix:",
            f"- name: ghcr.io/acme/app\n  newName: {IMAGE}\n  digest: {DIGEST}\nnamePrefix:",
        )

    def test_helm_values_yaml_path(self, shell: Shell, tmp_path: Path, remote: Remote) -> None:
        done = deploy(
            shell, tmp_path, remote, path="charts/app/values.yaml", yaml_path="image.digest"
        )
        assert done.returncode == 0, done.stderr
        expected = VALUES.replace(
            '  digest: ""   # filled by the deploy step', f'  digest: "{IMAGE}@{DIGEST}"'
        )
        assert remote.file("charts/app/values.yaml") == expected

    def test_helm_values_digest_only(self, shell: Shell, tmp_path: Path, remote: Remote) -> None:
        done = deploy(
            shell,
            tmp_path,
            remote,
            path="charts/app/values.yaml",
            yaml_path="sidecar.image.digest",
            value="digest",
        )
        assert done.returncode == 0, done.stderr
        assert remote.file("charts/app/values.yaml") == VALUES.replace(
            "digest: keep-me", f'digest: "{DIGEST}"'
        )

    def test_a_concurrent_push_is_retried_on_the_new_tip(
        self, shell: Shell, tmp_path: Path, remote: Remote
    ) -> None:
        before = remote.count()
        bin_dir = git_wrapper(tmp_path / "bin", competing_push(tmp_path, remote, times=1))
        done = deploy(shell, tmp_path, remote, path_prefix=(bin_dir,))
        assert done.returncode == 0, done.stderr
        assert "retry 1 of 5 on the new tip" in done.stderr
        # The other writer's commit, then exactly one deploy commit on top of it.
        assert remote.count() == before + 2
        assert remote.git("log", "-1", "--format=%s", "main~1") == "other 1"
        assert remote.git("log", "-1", "--format=%s", "main") == "deploy my-python-app 1.4.2"
        assert remote.file("apps/my-python-app/kustomization.yaml") == KUSTOMIZATION_DONE
        assert "other 1" in remote.file("README.md")

    def test_retries_are_bounded(self, shell: Shell, tmp_path: Path, remote: Remote) -> None:
        bin_dir = git_wrapper(tmp_path / "bin", competing_push(tmp_path, remote, times=99))
        done = deploy(shell, tmp_path, remote, path_prefix=(bin_dir,), retries=2)
        assert done.returncode == 1
        assert "lost to concurrent pushes 3 times" in done.stderr
        assert remote.git("log", "--format=%s", "main").count("deploy my-python-app") == 0


@pytest.mark.parametrize("shell", SHELLS)
class TestRefusals:
    """Each refusal names its reason, and the remote branch is left as it was."""

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"digest": "sha256:" + "ab" * 31}, "is not sha256:<64 hex digits>"),
            ({"digest": "sha256:" + "AB12" * 16}, "is not sha256:<64 hex digits>"),
            ({"digest": DIGEST + "\nevil"}, "is not sha256:<64 hex digits>"),
            ({"digest": "sha256:$(touch pwned)" + "a" * 50}, "is not sha256:<64 hex digits>"),
            ({"built": "evil.example.com/x:1.0"}, "not a tag of the configured image"),
            ({"built": f"{IMAGE}-evil:1.0"}, "not a tag of the configured image"),
            ({"built": f"{IMAGE}:-rf"}, "is not an OCI tag"),
            ({"built": f"{IMAGE}:1.0\n--force"}, "is not an OCI tag"),
        ],
    )
    def test_hostile_run_values(
        self, shell: Shell, tmp_path: Path, remote: Remote, params: dict[str, str], message: str
    ) -> None:
        tip = remote.git("rev-parse", "main")
        done = deploy(
            shell,
            tmp_path,
            remote,
            digest=params.get("digest", DIGEST),
            built=params.get("built", BUILT),
        )
        assert done.returncode == 1
        assert message in done.stderr
        assert remote.git("rev-parse", "main") == tip
        assert not (tmp_path / "pwned").exists()

    @pytest.mark.parametrize(
        ("env", "message"),
        [
            ({"GITOPS_BRANCH": "--upload-pack=touch pwned"}, "starts with '-'"),
            ({"GITOPS_BRANCH": "main..evil"}, "is not a plain branch name"),
            ({"GITOPS_PATH": "../outside.yaml"}, "must be a plain relative path"),
            ({"GITOPS_PATH": "/etc/passwd"}, "must be a plain relative path"),
            ({"GITOPS_PATH": "apps/-x/kustomization.yaml"}, "must be a plain relative path"),
            ({"GITOPS_REPO": "ext::sh -c touch% pwned"}, "contains whitespace"),
            ({"GITOPS_REPO": "http://git.example.com/acme/deploy.git"}, "must be an https:// URL"),
            ({"IMAGE": "evil.io/x;touch pwned"}, "is not an image repository"),
            ({"MODE": "sed"}, "must be kustomization or yaml"),
            ({"AUTH": "ssh"}, "must be none or https"),
            ({"GIT_AUTHOR_NAME": "x$(touch pwned)"}, "author name"),
        ],
    )
    def test_hostile_template_values(
        self, shell: Shell, tmp_path: Path, remote: Remote, env: dict[str, str], message: str
    ) -> None:
        """The template's values are literal, but the script does not rely on it."""
        tip = remote.git("rev-parse", "main")
        done = deploy(shell, tmp_path, remote, env=dict(env))
        assert done.returncode == 1
        assert message in done.stderr, done.stderr
        assert remote.git("rev-parse", "main") == tip
        assert not (tmp_path / "pwned").exists()

    @pytest.mark.parametrize(
        ("gitops", "message"),
        [
            ({"path": "apps/none/kustomization.yaml"}, "is not a directory"),
            (
                {"path": "charts/app/values.yaml", "yaml_path": "image.tag"},
                "has no key 'image.tag'",
            ),
            ({"path": "charts/app/values.yaml", "yaml_path": "image"}, "is not a plain scalar"),
            ({"path": "charts/app/values.yaml", "yaml_path": "notes"}, "is not a plain scalar"),
        ],
    )
    def test_files_it_cannot_edit_exactly(
        self, shell: Shell, tmp_path: Path, remote: Remote, gitops: dict[str, str], message: str
    ) -> None:
        tip = remote.git("rev-parse", "main")
        done = deploy(shell, tmp_path, remote, **dict[str, Any](gitops))
        assert done.returncode == 1
        assert message in done.stderr, done.stderr
        assert remote.git("rev-parse", "main") == tip

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("images: [{name: x, newTag: '1'}]\n", "not in the block-style layout"),
            (
                f"images:\n- name: {IMAGE}\n  newTag: '1'\n- name: {IMAGE}\n  newTag: '2'\n",
                "more than one entry",
            ),
            (f"images:\n- name: {IMAGE}\n\tnewTag: '1'\n", "not in the block-style layout"),
        ],
    )
    def test_kustomizations_it_cannot_edit_exactly(
        self, shell: Shell, tmp_path: Path, remote: Remote, text: str, message: str
    ) -> None:
        seed = tmp_path / "reseed"
        run_git(tmp_path, "clone", "-q", str(remote.bare), str(seed))
        (seed / "apps/my-python-app/kustomization.yaml").write_text(text)
        run_git(seed, "commit", "-qam", "odd layout")
        run_git(seed, "push", "-q", "origin", "HEAD:main")
        tip = remote.git("rev-parse", "main")
        done = deploy(shell, tmp_path, remote)
        assert done.returncode == 1
        assert message in done.stderr, done.stderr
        assert remote.git("rev-parse", "main") == tip

    def test_a_symlinked_file_is_not_followed(
        self, shell: Shell, tmp_path: Path, remote: Remote
    ) -> None:
        seed = tmp_path / "reseed"
        run_git(tmp_path, "clone", "-q", str(remote.bare), str(seed))
        (seed / "apps/link").mkdir()
        (seed / "apps/link/kustomization.yaml").symlink_to("../../README.md")
        run_git(seed, "add", "-A")
        run_git(seed, "commit", "-qm", "link")
        run_git(seed, "push", "-q", "origin", "HEAD:main")
        tip = remote.git("rev-parse", "main")
        done = deploy(shell, tmp_path, remote, path="apps/link/kustomization.yaml")
        assert done.returncode == 1
        assert "is a symbolic link" in done.stderr
        assert remote.git("rev-parse", "main") == tip

    @pytest.mark.parametrize("target", ["absolute", "relative"])
    def test_a_symlinked_directory_leading_outside_is_refused(
        self, shell: Shell, tmp_path: Path, remote: Remote, target: str
    ) -> None:
        # The file itself is no symlink; a directory on its path is, and it leads out of the
        # clone to a file the step could otherwise write (here: a kustomization it can edit).
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / "kustomization.yaml").write_text(KUSTOMIZATION)
        seed = tmp_path / "reseed"
        run_git(tmp_path, "clone", "-q", str(remote.bare), str(seed))
        link = seed / "apps/elsewhere"
        # relative: the clone is $HOME/repo under TMPDIR (tmp_path/tmp); '../../..' is tmp_path.
        link.symlink_to(outside if target == "absolute" else Path("../../../..") / "outside")
        run_git(seed, "add", "-A")
        run_git(seed, "commit", "-qm", "link out")
        run_git(seed, "push", "-q", "origin", "HEAD:main")
        tip = remote.git("rev-parse", "main")
        path = "apps/elsewhere/kustomization.yaml"
        done = deploy(shell, tmp_path, remote, path=path)
        assert (done.returncode, done.stderr) == (
            1,
            f"deploy-gitops: '{path}' leads outside the repository\n",
        )
        assert (outside / "kustomization.yaml").read_text() == KUSTOMIZATION
        assert remote.git("rev-parse", "main") == tip


@pytest.mark.parametrize("shell", SHELLS)
def test_token_is_a_header_for_the_exact_repo_and_redirects_are_off(
    shell: Shell, tmp_path: Path, remote: Remote
) -> None:
    token_value = "glpat-SECRETtoken1234567890"
    token = tmp_path / "secret" / "token"
    token.parent.mkdir()
    token.write_text(token_value + "\n")
    url = "https://git.example.invalid/acme/deploy.git"
    seen = tmp_path / "seen"
    # At each fetch/push, ask git itself which header applies to the repo and to another
    # repo of the same host, and whether redirects are followed; then let the real git talk
    # to the local bare repository in place of the https URL.
    body = (
        'case "$1" in fetch | push)\n'
        f'  "{REAL_GIT}" config --get-urlmatch http.extraHeader {url} >>"{seen}.ours" || true\n'
        f'  "{REAL_GIT}" config --get-urlmatch http.extraHeader '
        f'https://git.example.invalid/acme/other.git >>"{seen}.other" || true\n'
        f'  "{REAL_GIT}" config --get http.followRedirects >>"{seen}.redirects"\n'
        f'  GIT_ALLOW_PROTOCOL=file exec "{REAL_GIT}" -c url.{remote.url}.insteadOf={url} "$@" ;;\n'
        "esac"
    )
    bin_dir = git_wrapper(tmp_path / "bin", body)
    done = deploy(
        shell,
        tmp_path,
        remote,
        url=url,
        credentials={"https_token_secret": "gitops-token", "https_username": "oauth2"},
        env={"GIT_TOKEN_FILE": str(token)},
        path_prefix=(bin_dir,),
    )
    assert done.returncode == 0, done.stderr
    basic = base64.b64encode(f"oauth2:{token_value}".encode()).decode()
    ours = Path(f"{seen}.ours").read_text().splitlines()
    assert ours == [f"Authorization: Basic {basic}"] * 2  # the fetch and the push
    assert Path(f"{seen}.other").read_text() == ""
    assert Path(f"{seen}.redirects").read_text().split() == ["false", "false"]
    for secret in (token_value, basic):
        assert secret not in done.stdout + done.stderr
    assert remote.file("apps/my-python-app/kustomization.yaml") == KUSTOMIZATION_DONE
    assert token_value not in remote.git("log", "-p", "--all")
    assert list((tmp_path / "tmp").iterdir()) == []  # the per-run HOME is gone


def test_the_template_runs_the_packaged_script_with_literal_settings() -> None:
    tmpl = component(
        "https://git.example.com/acme/deploy.git",
        credentials={"https_token_secret": "gitops-token"},
    )
    rendered = render(tmpl.container)
    assert rendered.script == load("deploy_gitops.sh")
    assert rendered.env["GITOPS_REPO"] == "https://git.example.com/acme/deploy.git"
    # No inputs: the digest and image are the build's workflow outputs; where it goes and
    # with which Secret are literal.
    assert tmpl.inputs is None
    assert all("{{" not in v for k, v in rendered.env.items() if k not in {"DIGEST", "BUILT"})
    [secret] = [v for v in tmpl.volumes if v.secret is not None]
    assert secret.secret.secret_name == "gitops-token"
    assert tmpl.automount_service_account_token is False
    sc = tmpl.container.security_context
    assert sc.run_as_non_root and sc.allow_privilege_escalation is False
    assert sc.capabilities.drop == ["ALL"] and sc.seccomp_profile.type == "RuntimeDefault"
