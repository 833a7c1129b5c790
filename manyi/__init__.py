"""manyi (满意): customer-service quality management."""
