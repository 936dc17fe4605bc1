"""The typed model: what one app's build is (`BuildConfig` and its parts), versions
(`SemverTag`), image references (`ImageRef`), the release and rebase sections, and what the
server says about runs.

Pure pydantic and semver: nothing in this layer imports Hera or builds a template. Every model
derives from one base that turns pydantic's errors into `argo_buildpacks.errors.ConfigError`.
"""
