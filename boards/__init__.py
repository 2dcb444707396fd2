"""Board tops, the host link and bitstream builds."""
