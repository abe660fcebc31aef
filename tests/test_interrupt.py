"""`optviz.interrupt`: a signal stops the run where it lands, except inside an import,
where it is only remembered until the next `check()`."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from optviz import interrupt


def test_a_signal_raises_where_it_lands_and_is_remembered():
    with interrupt.handled():
        with pytest.raises(interrupt.Interrupted) as caught:
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(10_000_000):  # the handler runs between bytecodes
                pass
        assert caught.value.signum == signal.SIGTERM
        assert interrupt.received() == signal.SIGTERM
        with pytest.raises(interrupt.Interrupted):
            interrupt.check()
    assert interrupt.received() is None  # a later run starts afresh
    interrupt.check()


def test_a_signal_during_an_import_is_kept_for_the_next_check(tmp_path, monkeypatch):
    # The module signals itself halfway and goes on; the import must finish whole.
    (tmp_path / "optviz_signalled_module.py").write_text(
        "import os, signal\n"
        "os.kill(os.getpid(), signal.SIGINT)\n"
        "total = sum(range(100_000))\n"
        "DONE = True\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "optviz_signalled_module", raising=False)
    with interrupt.handled():
        import optviz_signalled_module

        assert optviz_signalled_module.DONE
        assert interrupt.received() == signal.SIGINT
        with pytest.raises(interrupt.Interrupted) as caught:
            interrupt.check()
        assert caught.value.signum == signal.SIGINT
