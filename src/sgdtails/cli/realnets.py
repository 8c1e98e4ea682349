"""``sgdtails train``, ``analyze``, ``sweep realnets`` and ``data download``: thin layers over :mod:`sgdtails.realnets`.

``train`` runs :func:`sgdtails.realnets.train` (resumed when the run folder holds a checkpoint); it has
a flag for every field of :class:`~sgdtails.realnets.train.TrainConfig` (the teacher's as
``--teacher-<field>``), so any run of a grid can be repeated from the command line; a flag not given
keeps the field's default.
``analyze RUN_DIR… [--figures OUT]`` takes run directories or folders of runs (such as a sweep's
``--out``), writes each run's ``analysis/`` tables, the combined tables to ``--tables`` if given,
a Markdown report of the sweep (:func:`sgdtails.realnets.sweep_report.sweep_report`) to ``--report``
and the figures to ``OUT`` if given. ``sweep realnets --grid paper|table2|cpu|cpu_mnist1d --out DIR``
trains, then analyses, every run of a grid, resumably (:func:`sgdtails.realnets.sweep.run_realnets`).
``data download mnist|cifar10 --dir DIR`` fetches a data set (:mod:`sgdtails.realnets.download`);
a failed download (offline, no mirror reachable, checksum mismatch) leaves no partial file in DIR
and exits 1 with one line on stderr.
"""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from sgdtails.cli._args import add_run_flags, alpha, bounded_int, non_negative_int, positive_int, run_options
from sgdtails.realnets.vocabulary import DATASETS, DOWNLOADS, GRID_NAMES, MODELS
from sgdtails.simulator.vocabulary import CONVENTIONS

if TYPE_CHECKING:  # the parser imports no engine; handlers import what they need
    from sgdtails.realnets.train import TrainConfig

__all__ = ["register"]

_TEACHER_FLAGS = ("alpha", "n_train", "n_test", "width", "depth", "num_classes", "seed")
"""The fields of ``TeacherSpec``, given as ``--teacher-<field>`` (dest ``teacher_<field>``)."""
_TRAIN_FIELDS = ("model", "dataset", "lr", "batch_size", "seed", "width", "depth", "data_dir", "eval_every",
                 "checkpoint_seconds", "checkpoint_every", "stop_nll", "n_avg_blocks", "avg_block_iters", "max_iters",
                 "diverge_after", "eval_batch_size", "device", "deterministic", "tf32")
"""The fields of ``TrainConfig`` other than ``teacher``, each the dest of one ``train`` flag."""


def _non_negative_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (inf: never by time), got {text!r}")
    return value


def _positive_seconds(text: str) -> float:
    value = _non_negative_seconds(text)
    if value == 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive, finite number of seconds, got {text!r}")
    return value


_classes = bounded_int(2, "at least 2")


def _train_config(args: argparse.Namespace) -> TrainConfig:
    """The :class:`TrainConfig` of parsed ``train`` flags; a flag not given keeps the field's default."""
    from sgdtails.realnets.data import TeacherSpec
    from sgdtails.realnets.device import check_device, default_device
    from sgdtails.realnets.train import TrainConfig

    device = check_device(args.device, "--device") if args.device else default_device()
    given = {name: getattr(args, name) for name in _TRAIN_FIELDS if getattr(args, name) is not None}
    teacher = {name: getattr(args, "teacher_" + name) for name in _TEACHER_FLAGS
               if getattr(args, "teacher_" + name) is not None}
    return TrainConfig(**{**given, "device": device, "teacher": TeacherSpec(**teacher)})


def _train(args: argparse.Namespace) -> int:
    from sgdtails.realnets.train import train

    result = train(_train_config(args), args.out, progress=not args.quiet)
    print(f"{result.status} after {result.iterations} iterations: train acc {result.train_acc:.4f}, "
          f"test acc {result.test_acc:.4f}; run in {result.out_dir}")
    return 0


def _is_model_path(paths: list[str]) -> bool:
    """One checkpoint file, or a folder that is neither a run nor a folder of runs: a model to analyse."""
    from pathlib import Path

    if len(paths) != 1:
        return False
    p = Path(paths[0])
    if p.is_file() or not p.exists():
        return p.suffix in (".pt", ".pth") or p.is_file()
    if (p / "config.json").is_file():
        return False
    return not any((d / "config.json").is_file() for d in p.iterdir() if d.is_dir())


def _analyze_model(args: argparse.Namespace) -> int:
    import hashlib
    from pathlib import Path

    from sgdtails.figures.model_figures import write_model_plots
    from sgdtails.realnets.model_analysis import analyze, plain_records
    from sgdtails.simulator.provenance import provenance
    from sgdtails.simulator.records import write_csv, write_json

    if not args.out:
        raise ValueError("analyze of a model file needs --out DIR (the table, provenance and plots go there)")
    df = analyze(args.runs[0], args.eps, args.p, center=None if args.center == "none" else args.center,
                 references=args.synthetic_seeds, alpha=args.alpha, seed=args.seed, progress=not args.quiet)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = plain_records(df)
    table = write_csv(out / "analysis.csv", rows)
    refs = write_csv(out / "references.csv", df.attrs["references"]) if df.attrs["references"] else None
    source = Path(args.runs[0])
    digest = hashlib.sha256(source.read_bytes()).hexdigest() if source.is_file() else None
    write_json(out / "provenance.json", {"source": str(source), "sha256": digest, "settings": df.attrs["settings"],
                                          "model": df.attrs["model"], "skipped": df.attrs["skipped"], **provenance()})
    plots = write_model_plots(df, out)
    for row in rows:
        alpha = "—" if row["alpha_paper"] is None else f"{row['alpha_paper']:.3f}"
        print(f"{row['layer']} ({row['type']} {row['shape']}): α̂ {alpha}, pruning ratio magnitude "
              f"{row['pr_magnitude']:.3f} singular {row['pr_singular']:.3f} nodes {row['pr_nodes']:.3f}"
              + (f", diagnosis {row['diagnosis']}" if row.get("diagnosis") else ""))
    print(f"wrote {table}" + (f", {refs}" if refs else "") + f", {out / 'provenance.json'}, "
          + ", ".join(str(x) for x in plots))
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from sgdtails.realnets.analyze import analyze_runs, find_runs, write_tables
    from sgdtails.realnets.device import check_device

    if _is_model_path(args.runs):
        return _analyze_model(args)

    device = check_device(args.device, "--device") if args.device else None
    runs = find_runs(args.runs)
    tables = analyze_runs(runs, synthetic_seeds=args.synthetic_seeds, device=device,
                          data_dir=args.data_dir, overwrite=args.overwrite, conventions=args.conventions)
    for m in tables["model"]:
        alpha = "—" if m["mean_alpha_paper"] is None else f"{m['mean_alpha_paper']:.3f}"
        acc = "—" if m["test_acc"] is None else f"{m['test_acc']:.4f}"
        print(f"{m['run']}: {m['status']}, η/b {m['eta_over_b']:.3g}, mean α̂ {alpha}, test acc {acc}")
    if args.tables:
        write_tables(tables, args.tables)
    if args.report:
        from pathlib import Path

        from sgdtails.realnets.sweep_report import sweep_report
        from sgdtails.simulator.records import write_bytes

        text = sweep_report(tables, title=args.report_title or f"Sweep report: {', '.join(args.runs)}")
        print(f"wrote {write_bytes(Path(args.report), text.encode('utf-8'))}")
    if args.figures:
        from sgdtails.figures.realnet_figures import plot_all

        for path in plot_all(tables, args.figures, runs=runs):
            print(f"wrote {path}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from sgdtails.realnets.device import check_device
    from sgdtails.realnets.sweep import run_realnets

    result = run_realnets(args.grid, runs_dir=args.out, data_dir=args.data_dir, analyze=not args.no_analyze,
                          analysis_device=check_device(args.analysis_device, "--analysis-device"),
                          run=run_options(args, jobs_default=None, cache_dir=args.out).replace(progress=not args.quiet))
    print(f"{len(result.rows)} of {result.n_cells} runs finished ({result.summary}); table: {result.csv_path}")
    for f in result.failed:
        print(f"failed: {f['config'].run.name}: {f['error']}")
    return 1 if result.failed else 0


def _data_download(args: argparse.Namespace) -> int:
    from sgdtails.realnets.download import CIFAR10_MIRRORS, MNIST_MIRRORS, download_cifar10, download_mnist

    fetch = download_mnist if args.dataset == "mnist" else download_cifar10
    mirrors = tuple(args.mirror) if args.mirror else (MNIST_MIRRORS if args.dataset == "mnist" else CIFAR10_MIRRORS)
    try:
        where = fetch(args.dir, mirrors=mirrors, timeout=args.timeout)
    except ConnectionError as exc:  # a runtime failure, not bad input: one line, exit 1, no usage
        print(f"{args.parser.prog}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    print(f"{args.dataset} ready in {where}")
    return 0


def _add_train(sub: argparse._SubParsersAction) -> None:
    """``train``: a flag per TrainConfig field; defaults None = the field's own default (the paper's protocol)."""
    p = sub.add_parser("train", help="train one FCN4 / FCN6 / CNN with plain SGD to the paper's stopping rule")
    p.add_argument("--model", required=True, choices=MODELS)
    p.add_argument("--dataset", required=True, choices=DATASETS)
    p.add_argument("--width", type=positive_int, default=None, help="FCN width (2048) or CNN base channels (64)")
    p.add_argument("--depth", type=positive_int, default=None, help="FCN hidden layers (fcn4: 4, fcn6: 6)")
    p.add_argument("--lr", type=float, required=True, help="constant step size η")
    p.add_argument("--batch-size", type=positive_int, required=True, help="b (paper: 50 or 100)")
    p.add_argument("--data-dir", default=None,
                   help="folder with the MNIST / CIFAR10 files (mnist5k: optional, a folder with mnist_5k.csv.gz)")
    p.add_argument("--seed", type=non_negative_int, default=None, help="seed of the initial weights and batches (0)")
    p.add_argument("--max-iters", type=positive_int, default=None, help="iteration cap (1000000)")
    p.add_argument("--stop-nll", type=float, default=None, help="training NLL threshold of the stopping rule (5e-5)")
    p.add_argument("--avg-blocks", "--n-avg-blocks", dest="n_avg_blocks", type=positive_int, default=None, metavar="N",
                   help="blocks of further iterations after convergence (10)")
    p.add_argument("--avg-block-iters", type=positive_int, default=None,
                   help="iterations per block; the last block is averaged (1000)")
    p.add_argument("--eval-every", type=positive_int, default=None, help="full train/test evaluation period (200)")
    p.add_argument("--diverge-after", type=non_negative_int, default=None,
                   help="iterations after which chance-level training accuracy is divergence (50000)")
    p.add_argument("--checkpoint-seconds", type=_non_negative_seconds, default=None,
                   help="checkpoint at an evaluation once this many seconds passed since the last (300; 0: every "
                        "evaluation; inf: never by time)")
    p.add_argument("--checkpoint-every", type=positive_int, default=None,
                   help="also checkpoint at iterations that are multiples of this (a multiple of --eval-every; default off)")
    p.add_argument("--eval-batch-size", type=positive_int, default=None, help="chunk size of the evaluations (1000)")
    p.add_argument("--deterministic", action=argparse.BooleanOptionalAction, default=None,
                   help="torch deterministic algorithms for the run (default: on)")
    p.add_argument("--tf32", action=argparse.BooleanOptionalAction, default=None,
                   help="CUDA: TF32 matmuls and convolutions (changes results; default: off, full FP32)")
    p.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: cuda if available, else cpu)")
    teacher = p.add_argument_group("teacher data (--dataset teacher; Section S1.6.1)")
    teacher.add_argument("--teacher-alpha", type=alpha, default=None, help="α of the teacher's hidden weights (1.8)")
    teacher.add_argument("--teacher-n-train", type=positive_int, default=None, help="training inputs (60000)")
    teacher.add_argument("--teacher-n-test", type=positive_int, default=None, help="test inputs (10000)")
    teacher.add_argument("--teacher-width", type=positive_int, default=None, help="teacher hidden width (2048)")
    teacher.add_argument("--teacher-depth", type=positive_int, default=None, help="teacher hidden layers (6)")
    teacher.add_argument("--teacher-num-classes", type=_classes, default=None, help="classes (10)")
    teacher.add_argument("--teacher-seed", type=non_negative_int, default=None, help="seed of the teacher (0)")
    p.add_argument("--out", required=True, help="run directory (resumed if it holds a checkpoint)")
    p.set_defaults(handler=_train, parser=p)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``train``, ``analyze``, ``sweep realnets`` and ``data download``."""
    _add_train(sub)

    p = sub.add_parser("analyze", help="per-layer tail indices, pruning ratios and HML diagnosis of a model file, "
                       "or the tables of training runs")
    p.add_argument("runs", nargs="+", metavar="PATH",
                   help="a .pt/.pth checkpoint (or a folder holding one), or run directories / folders of runs")
    p.add_argument("--out", default=None, metavar="DIR", help="model file: write analysis.csv, provenance.json and plots here")
    p.add_argument("--eps", type=float, default=0.1, help="model file: error level ε of the pruning ratios")
    p.add_argument("--p", type=float, default=2.0, help="model file: exponent p of the ℓp error")
    p.add_argument("--center", choices=("median", "none"), default="median", help="model file: centring before pruning")
    p.add_argument("--alpha", type=float, default=None, help="model file: draw the references at this α instead of α̂")
    p.add_argument("--seed", type=non_negative_int, default=0, help="model file: seed of the synthetic references")
    p.add_argument("--figures", default=None, metavar="OUT", help="write the figures (PNG) into OUT")
    p.add_argument("--tables", default=None, metavar="DIR", help="write the combined tables (CSV) into DIR")
    p.add_argument("--report", default=None, metavar="FILE", help="write a Markdown report of the runs (the numbers "
                                                                  "behind docs/realnets_cpu_sweep.md) to FILE")
    p.add_argument("--report-title", default=None, metavar="TEXT", help="title of the --report")
    p.add_argument("--conventions", choices=CONVENTIONS, default="sgdtails",
                   help="runs: sgdtails (default) or paper_code, the authors' code's pruning and α̂ conventions")
    p.add_argument("--synthetic-seeds", type=non_negative_int, default=4,
                   help="synthetic matrices per layer and structure (the references of the diagnosis)")
    p.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: cuda if available, else cpu)")
    p.add_argument("--data-dir", default=None, help="overrides the runs' data folder")
    p.add_argument("--overwrite", action="store_true", help="recompute existing analyses")
    p.set_defaults(handler=_analyze, parser=p)

    sweep = sub.add_parser("sweep", help="run a resumable grid of training runs")
    sweep.set_defaults(handler=None, parser=sweep)
    which = sweep.add_subparsers(dest="study", metavar="STUDY")
    p = which.add_parser("realnets", help="train, then analyse, every run of a real-network grid")
    p.add_argument("--grid", required=True, choices=GRID_NAMES,
                   help="paper: the authors' 215 runs (GPU); table2: a log-spaced grid over Table 2 (GPU); "
                        "cpu: FCN4-512 on the 5,000 real MNIST digits; cpu_mnist1d: FCN4-256 on MNIST-1D")
    p.add_argument("--out", required=True, help="folder of the run directories and of the sweep records")
    add_run_flags(p, jobs_default="auto, one per CPU", cache="OUT/realnets_<grid>/ (train() itself still resumes)")
    p.add_argument("--data-dir", default=None, help="folder with the MNIST / CIFAR10 files (paper grid)")
    p.add_argument("--no-analyze", action="store_true", help="train only; run `sgdtails analyze` later")
    p.add_argument("--analysis-device", default="cpu",
                   help="where the analysis evaluates the pruned models (default cpu: it holds no GPU)")
    p.set_defaults(handler=_sweep, parser=p)

    data = sub.add_parser("data", help="fetch the MNIST or CIFAR10 files (mnist5k, mnist1d and teacher need none)")
    data.set_defaults(handler=None, parser=data)
    action = data.add_subparsers(dest="action", metavar="ACTION")
    p = action.add_parser("download", help="download MNIST or CIFAR10 into DIR, checked by MD5 (needs the network)")
    p.add_argument("dataset", choices=DOWNLOADS)
    p.add_argument("--dir", required=True, metavar="DIR", help="folder for the files (created if needed); "
                   "then train with --data-dir DIR")
    p.add_argument("--mirror", action="append", default=None, metavar="URL",
                   help="base address holding the files, tried in the order given (repeatable; default: the usual sources)")
    p.add_argument("--timeout", type=_positive_seconds, default=60.0, help="seconds per connection attempt (60)")
    p.set_defaults(handler=_data_download, parser=p)
