"""``sgdtails train``, ``sgdtails analyze`` and ``sgdtails sweep realnets``: thin layers over :mod:`sgdtails.realnets`.

``train`` runs :func:`sgdtails.realnets.train` (resumed when the run folder holds a checkpoint).
``analyze RUN_DIR… [--figures OUT]`` takes run directories or folders of runs (such as a sweep's
``--out``), writes each run's ``analysis/`` tables, the combined tables to ``--tables`` if given,
and the figures to ``OUT`` if given. ``sweep realnets --grid cpu|paper --out DIR`` trains and
analyses every run of a grid, resumably (:func:`sgdtails.realnets.sweep.run_realnets`).
"""
from __future__ import annotations

import argparse

from sgdtails.cli._args import add_run_flags, non_negative_int, positive_int, run_options
from sgdtails.realnets.vocabulary import DATASETS, GRID_NAMES, MODELS

__all__ = ["register"]


def _train(args: argparse.Namespace) -> int:
    from sgdtails.realnets.data import TeacherSpec
    from sgdtails.realnets.device import check_device, default_device
    from sgdtails.realnets.train import TrainConfig, train

    device = check_device(args.device, "--device") if args.device else default_device()

    config = TrainConfig(model=args.model, dataset=args.dataset, lr=args.lr, batch_size=args.batch_size,
                         seed=args.seed, width=args.width, depth=args.depth, data_dir=args.data_dir,
                         teacher=TeacherSpec(), max_iters=args.max_iters, stop_nll=args.stop_nll,
                         n_avg_blocks=args.avg_blocks, avg_block_iters=args.avg_block_iters,
                         device=device)
    result = train(config, args.out, progress=not args.quiet)
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

    from sgdtails.realnets.model_analysis import analyze, plain_records
    from sgdtails.realnets.model_plots import write_model_plots
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
                          data_dir=args.data_dir, overwrite=args.overwrite)
    for m in tables["model"]:
        alpha = "—" if m["mean_alpha_paper"] is None else f"{m['mean_alpha_paper']:.3f}"
        acc = "—" if m["test_acc"] is None else f"{m['test_acc']:.4f}"
        print(f"{m['run']}: {m['status']}, η/b {m['eta_over_b']:.3g}, mean α̂ {alpha}, test acc {acc}")
    if args.tables:
        write_tables(tables, args.tables)
    if args.figures:
        from sgdtails.realnets.plots import plot_all

        for path in plot_all(tables, args.figures, runs=runs):
            print(f"wrote {path}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from sgdtails.realnets.sweep import run_realnets

    result = run_realnets(args.grid, runs_dir=args.out, data_dir=args.data_dir, analyze=not args.no_analyze,
                          run=run_options(args, jobs_default=None, cache_dir=args.out).replace(progress=True))
    print(f"{len(result.rows)} of {result.n_cells} runs finished ({result.summary}); table: {result.csv_path}")
    for f in result.failed:
        print(f"failed: {f['config'].run.name}: {f['error']}")
    return 1 if result.failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``train``, ``analyze`` and ``sweep realnets``."""
    p = sub.add_parser("train", help="train one FCN4 / FCN6 / CNN with plain SGD to the paper's stopping rule")
    p.add_argument("--model", required=True, choices=MODELS)
    p.add_argument("--dataset", required=True, choices=DATASETS)
    p.add_argument("--width", type=positive_int, default=None, help="FCN width (2048) or CNN base channels (64)")
    p.add_argument("--depth", type=positive_int, default=None, help="FCN hidden layers (fcn4: 4, fcn6: 6)")
    p.add_argument("--lr", type=float, required=True, help="constant step size η")
    p.add_argument("--batch-size", type=positive_int, required=True, help="b (paper: 50 or 100)")
    p.add_argument("--data-dir", default=None, help="folder with the MNIST / CIFAR10 files")
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument("--max-iters", type=positive_int, default=1_000_000)
    p.add_argument("--stop-nll", type=float, default=5e-5, help="training NLL threshold of the stopping rule")
    p.add_argument("--avg-blocks", type=positive_int, default=10, help="blocks of further iterations after convergence")
    p.add_argument("--avg-block-iters", type=positive_int, default=1000, help="iterations per block; the last is averaged")
    p.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: cuda if available, else cpu)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--out", required=True, help="run directory (resumed if it holds a checkpoint)")
    p.set_defaults(handler=_train, parser=p)

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
    p.add_argument("--quiet", action="store_true", help="model file: no progress bar")
    p.add_argument("--figures", default=None, metavar="OUT", help="write the figures (PNG) into OUT")
    p.add_argument("--tables", default=None, metavar="DIR", help="write the combined tables (CSV) into DIR")
    p.add_argument("--synthetic-seeds", type=non_negative_int, default=4,
                   help="synthetic matrices per layer and structure (the references of the diagnosis)")
    p.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: cuda if available, else cpu)")
    p.add_argument("--data-dir", default=None, help="overrides the runs' data folder")
    p.add_argument("--overwrite", action="store_true", help="recompute existing analyses")
    p.set_defaults(handler=_analyze, parser=p)

    sweep = sub.add_parser("sweep", help="run a resumable grid of training runs")
    sweep.set_defaults(handler=None, parser=sweep)
    which = sweep.add_subparsers(dest="study", metavar="STUDY")
    p = which.add_parser("realnets", help="train and analyse every run of a real-network grid (paper | cpu)")
    p.add_argument("--grid", required=True, choices=GRID_NAMES,
                   help="paper: Table 2 at full size (GPU); cpu: small FCNs on MNIST-1D")
    p.add_argument("--out", required=True, help="folder of the run directories and of the sweep records")
    add_run_flags(p, jobs_default="auto, one per CPU", cache="OUT/realnets_<grid>/ (train() itself still resumes)")
    p.add_argument("--data-dir", default=None, help="folder with the MNIST / CIFAR10 files (paper grid)")
    p.add_argument("--no-analyze", action="store_true", help="train only; run `sgdtails analyze` later")
    p.set_defaults(handler=_sweep, parser=p)
