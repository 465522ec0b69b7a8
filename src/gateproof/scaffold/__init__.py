"""gateproof in a team's own deployment repository.

``gateproof scaffold DIR`` writes a deployment repository (config sources, settings, waivers,
pytest.ini, a folder for the team's own checks, CI for GitHub Actions and GitLab) and
``gateproof run PHASE`` runs the shipped acceptance suite plus those checks against it.
"""
