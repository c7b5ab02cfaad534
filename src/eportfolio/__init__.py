"""eportfolio: secure e-portfolio and 24/7 e-coaching for coaching programmes."""
