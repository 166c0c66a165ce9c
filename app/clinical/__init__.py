"""Pure clinical rules shared by the intake, the flare log and the practitioner's pages.

No Flask, no database: plain values in, plain values out. Every rule names its source.
"""
