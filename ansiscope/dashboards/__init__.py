"""The Streamlit dashboard: pages over cached store reads and analytics."""
