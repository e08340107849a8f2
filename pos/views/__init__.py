"""The POS screens, one module per screen: terminals, counter, cash, tables, kitchen, receipts."""
