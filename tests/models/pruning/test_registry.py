import pytest

from models.pruning.registry import Registry


def test_registry_refuses_duplicates_and_lists_valid_names_on_unknown():
    things = Registry("thing")

    @things.register("a")
    class A:
        pass

    with pytest.raises(ValueError, match="A thing named 'a' is already registered"):
        things.register("a")(A)
    with pytest.raises(ValueError, match=r"Unknown thing 'b'; valid names: \['a'\]"):
        things.create("b")
    assert A.name == "a"
    assert "a" in things and things.names() == ["a"]
