"""The manager's back-office screens of the inventory: catalogue and menus, promotions."""
