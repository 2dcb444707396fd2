"""``lifq export NET.json -o MODEL.nir``: a lifq network → a NIR graph (SPEC §8).

Writes the chain of :func:`lifq.golden.nir_export.to_nir` — Affine and IF
(or LIF) nodes, lifq's reset mode, signedness, spike cap, widths and
initial membranes in the node metadata — as HDF5 with ``nir.write``,
through a temporary file, so the output is complete or absent.
"""

from lifq.golden.nir_export import to_nir
from lifq.golden.nir_files import write_nir
from lifq.outputs import OutputPlan
from lifq.sim.network_files import load_network

NIR_SUFFIXES = (".nir", ".h5", ".hdf5")


def register(subparsers):
    parser = subparsers.add_parser(
        "export", help="export a lifq network as a NIR graph",
        description="Export a network file (.json or .npz) as a NIR graph (HDF5): Input → "
                    "(Affine → IF|LIF)… → Output, with lifq's reset mode, signedness, spike "
                    "cap, widths and initial membranes in the node metadata, so that lifq "
                    "import reads back the same network.  LIF nodes use time in steps "
                    "(dt = 1): τ = 1/(1 − d/2^F), r = τ.")
    parser.add_argument("network", metavar="NET.json", help="network file (.json or .npz)")
    parser.add_argument("-o", "--output", metavar="MODEL.nir", required=True,
                        help="NIR file to write (.nir, .h5 or .hdf5)")
    parser.set_defaults(run=run)


def run(args):
    plan = OutputPlan(inputs=[args.network])
    output = plan.add("-o", args.output, suffixes=NIR_SUFFIXES)
    net = load_network(args.network)
    graph = to_nir(net)
    with plan.writing(output) as temporary:
        write_nir(temporary, graph)
    names = [name for name in graph.nodes if name not in ("input", "output")]
    print(f"{args.network}: network {'-'.join(map(str, net.sizes))} → Input({net.inputs}) → "
          + " → ".join(names) + f" → Output({net.outputs}); reset, signedness, spike cap, "
          "widths and initial membranes in the lifq_* node metadata")
    print(f"wrote {args.output}")
