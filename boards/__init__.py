"""Board tops, the host link and bitstream builds.

Modules, one job each:

=================================  ===================================================
:mod:`boards.uart`                 UART transmitter and receiver (stream components)
:mod:`boards.protocol`             frame format, codes, CRC, request table, core payloads
:mod:`boards.network_protocol`     a network board's payloads: INFO and hash, RUN, results
:mod:`boards.frames`               gateware frame parser (checked requests as jobs)
:mod:`boards.replies`              gateware reply framer and word serializer (both kinds)
:mod:`boards.executor`             a core board's request executor, the payload reader
:mod:`boards.network_executor`     a network board's executor, input store, score sums
:mod:`boards.link`                 parser + executor: the link engine of either kind
:mod:`boards.crossing`             the link's clock to the core's: queues, handshakes
:mod:`boards.top`                  ``LinkTop``, ``NetworkLinkTop`` and ``BoardTop`` (pins)
:mod:`boards.pll`                  iCE40 / ECP5 PLL settings and instances
:mod:`boards.platforms`            the supported boards
:mod:`boards.build`                bitstreams with the YoWASP tools, report parsing
:mod:`boards.host`                 host driver and pyserial transport
:mod:`boards.network_host`         host driver of network boards (stimuli, data sets)
:mod:`boards.simulation`           the board in Amaranth's simulator as a transport
=================================  ===================================================

For scripts (``make demo``)::

    from lifq.boards.build import build_bitstream, format_report
    report = build_bitstream("icebreaker", cfg, build_dir="build/icebreaker")
    print(format_report(report))
    report = build_bitstream("ulx3s", net, build_dir="build/ulx3s", lanes=1)  # a network

``build_bitstream`` raises :class:`lifq.spec.InputError` for bad arguments,
:class:`boards.build.TimingError` (report on ``.report``) when an Fmax is below
a clock (the core's or the link's), and :class:`boards.build.BuildError` when a
tool fails.
"""
