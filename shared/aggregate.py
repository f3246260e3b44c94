"""An aggregate as the core sees it: a name, an empty state and a pure `evolve`; no I/O."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Aggregate:
    """How to rebuild one kind of aggregate: its name, empty state and pure `evolve`."""

    name: str
    initial: Any
    evolve: Callable[[Any, Any], Any]

    def fold(self, history: Sequence) -> Any:
        state = self.initial
        for event in history:
            state = self.evolve(state, event)
        return state
