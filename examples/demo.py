"""`make demo`: the main job, offline.

Loads the example app's config, shows what a version pushes, renders the WorkflowTemplate
(single-pod, daemonless) to YAML, lints it, and prints how to run it. No server needed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from argo_buildpacks import BuildConfig, SemverTag
from argo_buildpacks.linting import lint
from argo_buildpacks.pipeline import render, to_manifest, workflow_for, workflow_template

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "my-python-app.yaml"
OUT = HERE.parent / "build" / "my-python-app.workflowtemplate.yaml"


def main() -> int:
    config = BuildConfig.from_file(CONFIG)
    print(f"config {CONFIG.name}: app {config.name!r} in namespace {config.namespace!r}")
    print(f"  source   {config.source.url} @ {config.source.revision}")
    print(f"  image    {config.image}")
    print(f"  builder  {config.builder.image} (uid {config.builder.uid}, gid {config.builder.gid})")
    print(f"  layout   {config.layout}, mode {config.mode}, creation time {config.creation_time}")
    print()
    print("tags each version pushes:")
    for text in ("v1.4.2", "1.5.0-rc.1", "2.0.0+build.7"):
        version = SemverTag.parse(text)
        tags = version.oci_tags(floating=config.tag.floating, latest=config.tag.latest)
        print(f"  {text:<14} -> " + ", ".join(f"{config.image}:{t}" for t in tags))
    print()
    template = workflow_template(config)
    text = render(template)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    manifest = to_manifest(template)
    pods = [
        t["name"] for t in manifest["spec"]["templates"] if "containerSet" in t or "container" in t
    ]
    print(f"rendered {OUT.relative_to(HERE.parent)} ({len(text.splitlines())} lines, pods: {pods})")
    run = workflow_for(template, tag="1.4.2")
    findings = lint([manifest, to_manifest(run)])
    if findings:
        print("lint: FAILED")
        for finding in findings:
            print(f"  {finding}")
        return 1
    print("lint: clean (WorkflowTemplate and a Workflow that runs it)")
    print()
    print("run it:")
    print(f"  kubectl apply -f {OUT.relative_to(HERE.parent)}")
    print(f"  argo submit -n {config.namespace} --from workflowtemplate/{config.name} -p tag=1.4.2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
