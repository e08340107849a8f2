"""The PMS screens: the front desk (frontdesk) and the public booking engine (booking)."""
