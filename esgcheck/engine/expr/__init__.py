"""The rule expression language: parser, static types, built-ins and compiler."""
