"""Issue 19, case 8: `make test` left a half-built comparison in the checkout's outputs/, which
`kiprank site` then published. Every test writes into temporary folders only; this test, moved to
the end of the session by conftest.py, checks that outputs/ is as the session found it."""

from conftest import outputs_state


def test_the_suite_left_outputs_as_it_found_it(request):
    before = request.config.kiprank_outputs_before
    after = outputs_state()
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    assert not (added or removed or changed), f"outputs/ changed: added {added[:10]}, removed {removed[:10]}, " \
                                              f"changed {changed[:10]}"
