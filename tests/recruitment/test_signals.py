"""The core's signals (recruitment.signals) are hooks upper layers listen to: each one the core
declares has a listener once the apps are loaded, so none is sent into the void."""

from django.dispatch import Signal

from recruitment import signals


def test_every_signal_of_the_core_has_a_listener():
    declared = {name: value for name, value in vars(signals).items() if isinstance(value, Signal)}
    assert declared, "recruitment.signals declares no signal"
    unheard = sorted(name for name, signal in declared.items() if not signal.has_listeners())
    assert unheard == []
