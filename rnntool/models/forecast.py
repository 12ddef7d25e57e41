"""The forecaster: a window of steps -> stacked LSTM/GRU -> linear -> the next ``horizon`` values.

The recurrent layers (torch's fused modules, batch first) read a window of normalized steps,
every column an input; a linear layer maps the top layer's output at the last step to
``horizon`` values, which are added to the window's last value of the target column. The
model thus forecasts the change from the last observation: the linear layer starts at zero,
so an untrained model gives exactly the naive forecast (repeat the last value) and training
only has to learn how the series moves from there. Dropout applies between layers and
before the linear layer.

Nothing here reads files, normalizes or knows about the command line (see ``rnntool.series``).
"""

from __future__ import annotations

import torch
from torch import nn

from rnntool.memory import recurrent_parameters

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class ForecastModel(nn.Module):
    def __init__(self, inputs: int, horizon: int, target: int, hidden: int = 64,
                 layers: int = 2, cell: str = "lstm", dropout: float = 0.0):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}")
        if min(inputs, horizon, hidden, layers) < 1:
            raise ValueError("inputs, horizon, hidden and layers must be positive")
        if not 0 <= target < inputs:
            raise ValueError(f"target must be the index of an input column (0 to {inputs - 1})")
        if not 0.0 <= dropout < 1.0:
            raise ValueError("dropout must be in [0, 1)")
        self.config = dict(inputs=inputs, horizon=horizon, target=target, hidden=hidden,
                           layers=layers, cell=cell, dropout=dropout)
        self.target = target
        self.rnn = CELLS[cell](inputs, hidden, layers, batch_first=True,
                               dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, horizon)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    @staticmethod
    def parameter_count(inputs: int, horizon: int, target: int, hidden: int = 64,
                        layers: int = 2, cell: str = "lstm", dropout: float = 0.0) -> int:
        """The parameters a model of these settings has, counted without building it."""
        return recurrent_parameters(cell, inputs, hidden, layers) + (hidden + 1) * horizon

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: [batch, window, inputs] normalized steps -> [batch, horizon] forecasts of
        the (normalized) target column."""
        output, _ = self.rnn(x)
        change = self.head(self.dropout(output[:, -1]))
        return x[:, -1, self.target].unsqueeze(1) + change

    @staticmethod
    def loss_sum(pred: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, int]:
        """The summed squared error of ``pred`` against ``y`` and how many values it sums."""
        return ((pred - y) ** 2).sum(), y.numel()
