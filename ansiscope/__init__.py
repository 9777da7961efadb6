"""ansiscope: turn Ansible playbook output into answers for SREs."""

__version__ = "0.1.0"
