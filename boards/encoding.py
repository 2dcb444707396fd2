"""How the link's state machines are encoded in the bitstream."""

__all__ = ["one_hot"]


def one_hot(fsm):
    """Ask Yosys to encode ``fsm``'s state one-hot: a flip-flop per state.

    Call it after the ``with m.FSM(...) as fsm:`` block.  Yosys re-encodes a
    state machine on its own only when the state register has no initial
    value, and Amaranth's has one; binary-encoded, every state's decoding
    was a LUT over the state bits in front of each enable the state drives,
    on the link's critical paths.  The boards' power-on reset puts every
    state machine in its initial state, and simulation (of the Amaranth
    design) does not see the encoding.
    """
    fsm.state.attrs["fsm_encoding"] = "one-hot"
    return fsm
