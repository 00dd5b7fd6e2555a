"""An Sinh knowledge base: dated legal facts, calculators and the referral directory.

Plain Python over data; nothing here imports Rasa.
"""
