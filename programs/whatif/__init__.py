"""What-if drafts (SPEC §7): a scenario document evaluated over the stored data, written nowhere.

``evaluate`` computes the balance and the rule outcomes now and under a draft; ``drafts`` keeps
named drafts analysts and viewers save and share.
"""
