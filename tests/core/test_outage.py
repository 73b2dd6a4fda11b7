from bot.core.outage import Outage


def test_an_outage_is_reported_once_when_it_starts_and_once_when_it_ends():
    outage = Outage()
    assert outage.recovered(1.0) is None and not outage.down
    assert [outage.failed(t) for t in (10.0, 12.0, 14.0)] == [True, False, False]
    assert outage.down
    assert outage.recovered(20.0) == (10.0, 3)
    assert outage.recovered(21.0) is None, "the end is told once"
    assert outage.failed(30.0), "a new outage is told again"
    assert outage.recovered(30.5) == (0.5, 1)
