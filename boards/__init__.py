"""Board tops, the host link and bitstream builds.

Modules, one job each:

========================  =====================================================
:mod:`boards.uart`        UART transmitter and receiver (stream components)
:mod:`boards.protocol`    frame format, codes, CRC, payload layouts (both ends)
:mod:`boards.link`        gateware frame parser and request engine
:mod:`boards.top`         ``LinkTop`` (UART + link + core) and ``BoardTop`` (pins)
:mod:`boards.pll`         iCE40 / ECP5 PLL settings and instances
:mod:`boards.platforms`   the supported boards
:mod:`boards.build`       bitstreams with the YoWASP tools, report parsing
:mod:`boards.host`        host driver and pyserial transport
:mod:`boards.simulation`  the board in Amaranth's simulator as a transport
========================  =====================================================

For scripts (``make demo``)::

    from lifq.boards.build import build_bitstream, format_report
    report = build_bitstream("icebreaker", cfg, build_dir="build/icebreaker")
    print(format_report(report))

``build_bitstream`` raises :class:`lifq.spec.InputError` for bad arguments,
:class:`boards.build.TimingError` (report on ``.report``) when Fmax is below
the clock, and :class:`boards.build.BuildError` when a tool fails.
"""
