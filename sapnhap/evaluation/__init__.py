"""The scoreboard: scores against a generated batch's ground truth, and the FEBRL benchmark."""
