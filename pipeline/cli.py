"""The ``mixture`` command line: argument parsing and error presentation only.

Each command imports what it runs inside its function (lazily), so that ``mixture --help``,
``validate --schema-only`` and ``canaries`` do not wait seconds for Beam and the stages.
"""

from __future__ import annotations

import argparse
import logging
import sys

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ACCOUNTING = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mixture",
        description="Multilingual pretraining data-mixture pipeline (Apache Beam).",
        epilog="Flags of `mixture run` that are not listed here are passed to Beam as pipeline options.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    run = sub.add_parser("run", help="run the pipeline on a mixture config",
                         description="Run the pipeline. Unknown --flags are Beam pipeline options "
                                     "(--runner, --direct_running_mode, --project, ...).")
    run.add_argument("config", help="mixture YAML file")
    run.add_argument("--output", help="output directory (default: the config's output, else out/<name>)")
    run.add_argument("--seed", type=int, help="override the config's seed")
    run.add_argument("--overwrite", action="store_true", help="replace a non-empty output directory")
    run.add_argument("--quiet", action="store_true", help="print only the final summary")
    run.add_argument("--debug", action="store_true", help="show tracebacks and Beam's logs")

    validate = sub.add_parser("validate", help="check a mixture config and list every problem")
    validate.add_argument("config", help="mixture YAML file")
    validate.add_argument("--schema-only", action="store_true",
                          help="check keys, types and values only: do not list input paths, probe the "
                               "output or load models (for configs of remote storage not reachable from here)")

    plan = sub.add_parser("plan", help="print the token budget and per-bucket sampling plan")
    plan.add_argument("config", help="mixture YAML file")
    plan.add_argument("--compute-flops", type=float, help="training compute C; FLOPs ≈ 6·N·D")
    plan.add_argument("--params", type=float, help="model parameters N")
    plan.add_argument("--tokens", type=float, help="token budget D")
    plan.add_argument("--json", action="store_true", help="machine-readable output")
    plan.add_argument("--from", dest="from_dir", help="use the stats of a finished run in this directory")

    report = sub.add_parser("report", help="re-render the report of a finished run")
    report.add_argument("output_dir", help="OUTPUT_DIR of a finished run")

    from pipeline import canaries_cli

    canaries_cli.add_parser(sub)
    return parser


def _error(message: str) -> None:
    print(f"mixture: error: {message}", file=sys.stderr)


def _filesystem_options(beam_args: list[str]) -> None:
    """s3:// and hdfs:// read their settings (--s3_*, --hdfs_*) from the pipeline options,
    which the launcher needs before it lists inputs or checks the output."""
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.options.pipeline_options import PipelineOptions

    FileSystems.set_options(PipelineOptions(beam_args))


def _cmd_validate(args) -> int:
    from pipeline.config import ConfigError, load_config

    _filesystem_options([])
    try:
        config = load_config(args.config, check_paths=not args.schema_only)
        if not args.schema_only:
            _check_resources(config)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{args.config}: {len(exc.problems)} problem(s)", file=sys.stderr)
        return EXIT_USAGE
    names = ", ".join(s.name for s in config.sources)
    scope = " (schema only: paths and models not checked)" if args.schema_only else ""
    print(f"{args.config}: OK{scope} — mixture '{config.name}', {len(config.sources)} source(s): {names}")
    return EXIT_OK


def _check_resources(config) -> None:
    """The output location, models and other user-given files must be usable before any work starts."""
    from apache_beam.io.filesystems import FileSystems

    from pipeline.config import ConfigError

    try:
        FileSystems.exists(FileSystems.join(config.output_dir, "manifest.json"))
    except Exception as exc:  # noqa: BLE001 - e.g. gs:// without the gcp extra
        raise ConfigError([f"output: cannot use '{config.output_dir}': {exc}"]) from None

    if config.langid.enabled:
        try:
            from pipeline.stages.langid_core import check_model
        except ImportError:
            return
        try:
            check_model(config)
        except Exception as exc:  # noqa: BLE001 - reported as a config problem
            raise ConfigError([f"langid.model: {exc}"]) from None


def _cmd_run(args, beam_args: list[str]) -> int:
    from pipeline.config import ConfigError, load_config
    from pipeline.run import AccountingError, run

    if not args.debug:
        # our own messages say what failed; Beam's worker logs are shown with --debug
        logging.getLogger().setLevel(logging.CRITICAL)
        logging.getLogger("apache_beam").setLevel(logging.CRITICAL)
        if not any(a.startswith("--default_sdk_harness_log_level") for a in beam_args):
            beam_args = [*beam_args, "--default_sdk_harness_log_level=ERROR"]
    _filesystem_options(beam_args)
    try:
        config = load_config(args.config, seed=args.seed, output=args.output)
        _check_resources(config)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    log = (lambda _msg: None) if args.quiet else print
    try:
        summary = run(config, beam_args, overwrite=args.overwrite, log=log,
                      progress_seconds=0.0 if args.quiet else 10.0)
    except FileExistsError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except AccountingError as exc:
        _error(str(exc))
        return EXIT_ACCOUNTING
    except Exception as exc:  # noqa: BLE001 - a failed pipeline: one clear line unless --debug
        if args.debug:
            raise
        _error(f"the pipeline failed: {_root_cause(exc)} (rerun with --debug for details)")
        return EXIT_FAILED
    from pipeline.report.build import summary_lines

    shards = summary.manifest["shards"]
    print(f"done in {summary.seconds:.1f}s: {shards['documents']:,} documents, {shards['tokens']:,} tokens "
          f"in {shards['count']} shards")
    for line in summary_lines(summary.report):
        print(line)
    print(f"output: {summary.output}")
    return EXIT_OK


def _root_cause(exc: BaseException) -> str:
    """The most specific error line of a failure (Beam wraps worker errors in tracebacks)."""
    import re

    text = str(exc)
    causes = re.findall(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Exit)): (.+)$", text, flags=re.M)
    if causes:
        name, message = causes[-1]
        return f"{name}: {message.strip()}"
    first = text.strip().splitlines()[0] if text.strip() else ""
    return f"{type(exc).__name__}: {first}"


def _cmd_plan(args) -> int:
    from pipeline.config import ConfigError
    from pipeline.plan_cli import run_plan

    try:
        return run_plan(args.config, compute_flops=args.compute_flops, params=args.params,
                        tokens=args.tokens, as_json=args.json, from_dir=args.from_dir)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE


def _cmd_report(args) -> int:
    from pipeline import files as fs
    from pipeline.report.build import rerender
    from pipeline.run import AccountingError, finish_interrupted_run

    _filesystem_options([])
    try:
        if not fs.exists(fs.join(fs.normalize_path(args.output_dir), "report", "report.json")):
            # the job finished but its launcher did not write manifest and report: do it now
            finish_interrupted_run(args.output_dir)
        written = rerender(args.output_dir)
    except FileNotFoundError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except AccountingError as exc:
        _error(str(exc))
        return EXIT_ACCOUNTING
    for path in written:
        print(path)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--debug" not in argv:
        # Beam logs import-time warnings (e.g. about optional GCP clients) at the root
        # logger; users see our own messages instead
        logging.getLogger().setLevel(logging.ERROR)
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if args.command != "run" and extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    bad = [a for a in extra if not a.startswith("-")] if args.command == "run" else []
    if bad and all(not e.startswith("--") for e in extra):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.command == "validate":
            return _cmd_validate(args)
        if args.command == "run":
            return _cmd_run(args, extra)
        if args.command == "plan":
            return _cmd_plan(args)
        if args.command == "report":
            return _cmd_report(args)
        if args.command == "canaries":
            from pipeline import canaries_cli

            return canaries_cli.main(args)
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
